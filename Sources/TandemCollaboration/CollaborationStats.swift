import Foundation

/// What one collaborative generation cost and how it felt (`generate --json`'s `stats`).
public struct CollaborationStats: Sendable, Codable, Equatable {
    public var generatedTokens = 0
    /// Draft tokens sent for verification, plus tokens the cloud wrote itself.
    public var offloadedTokens = 0
    /// Tokens uploaded to the cloud: context the cloud had not seen, and drafts.
    public var uploadedTokens = 0
    public var bytesUp = 0
    public var bytesDown = 0
    /// Verify and generate calls (session management not included).
    public var cloudCalls = 0
    /// Calls that only sent committed tokens ahead of the next verification (not in `cloudCalls`).
    public var syncCalls = 0
    /// Of `cloudCalls`, verifications sent while an earlier chunk was still in flight.
    public var pipelinedCalls = 0
    /// Of those, the ones whose answer went unused: a chunk before them was not accepted
    /// whole, so the cloud refused them unread (or they were resent).
    public var droppedCalls = 0
    /// Verifications that rejected a draft token.
    public var rejections = 0
    /// Drafted tokens thrown away after a rejection (the rejected one and those after it).
    public var wastedDraftTokens = 0
    /// Tokens committed without the verification they were sent for (faults).
    public var unverifiedTokens = 0
    public var warnings: [String] = []
    public var ttftMilliseconds: Double = 0
    /// Time between consecutive committed tokens.
    public var tbtMilliseconds = Percentiles()
    /// Time the device model spent computing.
    public var deviceMilliseconds: Double = 0
    /// Wall time of cloud calls (network and cloud compute).
    public var cloudMilliseconds: Double = 0
    /// Committed tokens per second of wall time after the first.
    public var tokensPerSecond: Double = 0

    public var offloadRatio: Double { generatedTokens == 0 ? 0 : Double(offloadedTokens) / Double(generatedTokens) }

    public init() {}

    enum CodingKeys: String, CodingKey {
        case generatedTokens = "generated_tokens"
        case offloadedTokens = "offloaded_tokens"
        case offloadRatio = "offload_ratio"
        case uploadedTokens = "uploaded_tokens"
        case bytesUp = "bytes_up"
        case bytesDown = "bytes_down"
        case cloudCalls = "cloud_calls"
        case syncCalls = "sync_calls"
        case pipelinedCalls = "pipelined_calls"
        case droppedCalls = "dropped_calls"
        case rejections
        case wastedDraftTokens = "wasted_draft_tokens"
        case unverifiedTokens = "unverified_tokens"
        case warnings
        case ttftMilliseconds = "ttft_ms"
        case tbtMilliseconds = "tbt_ms"
        case deviceMilliseconds = "device_time_ms"
        case cloudMilliseconds = "cloud_time_ms"
        case tokensPerSecond = "tokens_per_s"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(generatedTokens, forKey: .generatedTokens)
        try c.encode(offloadedTokens, forKey: .offloadedTokens)
        try c.encode(offloadRatio, forKey: .offloadRatio)
        try c.encode(uploadedTokens, forKey: .uploadedTokens)
        try c.encode(bytesUp, forKey: .bytesUp)
        try c.encode(bytesDown, forKey: .bytesDown)
        try c.encode(cloudCalls, forKey: .cloudCalls)
        try c.encode(syncCalls, forKey: .syncCalls)
        try c.encode(pipelinedCalls, forKey: .pipelinedCalls)
        try c.encode(droppedCalls, forKey: .droppedCalls)
        try c.encode(rejections, forKey: .rejections)
        try c.encode(wastedDraftTokens, forKey: .wastedDraftTokens)
        try c.encode(unverifiedTokens, forKey: .unverifiedTokens)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(ttftMilliseconds, forKey: .ttftMilliseconds)
        try c.encode(tbtMilliseconds, forKey: .tbtMilliseconds)
        try c.encode(deviceMilliseconds, forKey: .deviceMilliseconds)
        try c.encode(cloudMilliseconds, forKey: .cloudMilliseconds)
        try c.encode(tokensPerSecond, forKey: .tokensPerSecond)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        generatedTokens = try c.decode(Int.self, forKey: .generatedTokens)
        offloadedTokens = try c.decode(Int.self, forKey: .offloadedTokens)
        uploadedTokens = try c.decode(Int.self, forKey: .uploadedTokens)
        bytesUp = try c.decode(Int.self, forKey: .bytesUp)
        bytesDown = try c.decode(Int.self, forKey: .bytesDown)
        cloudCalls = try c.decode(Int.self, forKey: .cloudCalls)
        syncCalls = try c.decodeIfPresent(Int.self, forKey: .syncCalls) ?? 0
        pipelinedCalls = try c.decodeIfPresent(Int.self, forKey: .pipelinedCalls) ?? 0
        droppedCalls = try c.decodeIfPresent(Int.self, forKey: .droppedCalls) ?? 0
        rejections = try c.decode(Int.self, forKey: .rejections)
        wastedDraftTokens = try c.decode(Int.self, forKey: .wastedDraftTokens)
        unverifiedTokens = try c.decodeIfPresent(Int.self, forKey: .unverifiedTokens) ?? 0
        warnings = try c.decodeIfPresent([String].self, forKey: .warnings) ?? []
        ttftMilliseconds = try c.decode(Double.self, forKey: .ttftMilliseconds)
        tbtMilliseconds = try c.decode(Percentiles.self, forKey: .tbtMilliseconds)
        deviceMilliseconds = try c.decode(Double.self, forKey: .deviceMilliseconds)
        cloudMilliseconds = try c.decode(Double.self, forKey: .cloudMilliseconds)
        tokensPerSecond = try c.decodeIfPresent(Double.self, forKey: .tokensPerSecond) ?? 0
    }
}

/// p50, p95, p99 and mean of a sample (nearest-rank percentiles; zeros when empty).
public struct Percentiles: Sendable, Codable, Equatable {
    public var p50: Double = 0
    public var p95: Double = 0
    public var p99: Double = 0
    public var mean: Double = 0

    public init() {}

    public init(_ values: [Double]) {
        guard !values.isEmpty else { return }
        let sorted = values.sorted()
        func rank(_ q: Double) -> Double { sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))] }
        p50 = rank(0.50)
        p95 = rank(0.95)
        p99 = rank(0.99)
        mean = values.reduce(0, +) / Double(values.count)
    }
}
