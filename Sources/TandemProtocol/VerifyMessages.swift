/// `POST /tandem/v1/sessions/{id}/verify`: check a draft chunk against the cloud model.
///
/// The device states how many tokens it believes the cloud holds (`context_length`), sends
/// the committed tokens the cloud has not seen (`append`), then the draft. A wrong
/// `context_length` is refused with `context_mismatch` (nothing changes). On success the
/// session holds context + append + the accepted draft tokens + the correction, if any.
public struct VerifyRequest: Codable, Sendable, Equatable {
    public var contextLength: Int
    /// Committed tokens the cloud has not seen yet; they join the context before the draft.
    public var append: [Int32]
    /// The draft chunk; empty for a sync (the session takes on `append`, nothing is judged).
    public var draft: [Int32]
    /// The device's probability q of each draft token, for speculative acceptance
    /// min(1, p/q) when the session samples (temperature > 0). Absent: q = 1 (a greedy device).
    public var draftProbabilities: [Float]?
    /// Optionally the device's whole (sparse) distribution at each draft position, so a
    /// rejection resamples from the exact residual norm(max(0, p − q)). Absent: q is taken as
    /// all its mass on the draft token (`draftProbabilities` then only scales acceptance).
    public var draftDistributions: [[TokenProbability]]?
    /// Top tokens to return per position (0 … `TandemAPI.maxTopK`, default 1).
    public var topK: Int
    /// Milliseconds until the device would stall waiting for this answer; the scheduler serves
    /// the soonest first. Absent: the device is stalled now.
    public var stallMilliseconds: Double?
    /// Wait for the session instead of failing fast: while it has a request in flight, or
    /// holds fewer than `contextLength` tokens, the request waits its turn (up to
    /// `TandemAPI.queueWaitSeconds`). A device sends a chunk this way while an earlier one is
    /// still being verified, betting that the earlier one is accepted whole; with
    /// `contextHash` the bet is checked. Absent: false (`session_busy` when busy).
    public var queue: Bool
    /// `ContextHash.of` the tokens the device believes the session holds; a session holding
    /// other tokens, even as many, answers `context_mismatch`. Absent: only the length is checked.
    public var contextHash: String?
    /// The token the device expects to be the cloud's own next token after the held context
    /// (greedy sessions: the free verification that follows a chunk accepted whole); it must
    /// be `append[0]`. A session whose last verification predicted otherwise answers
    /// `context_mismatch`. Absent: not checked.
    public var nextToken: Int32?

    public init(contextLength: Int, append: [Int32] = [], draft: [Int32], draftProbabilities: [Float]? = nil,
                draftDistributions: [[TokenProbability]]? = nil, topK: Int = 1, stallMilliseconds: Double? = nil,
                queue: Bool = false, contextHash: String? = nil, nextToken: Int32? = nil) {
        self.contextLength = contextLength
        self.append = append
        self.draft = draft
        self.draftProbabilities = draftProbabilities
        self.draftDistributions = draftDistributions
        self.topK = topK
        self.stallMilliseconds = stallMilliseconds
        self.queue = queue
        self.contextHash = contextHash
        self.nextToken = nextToken
    }

    enum CodingKeys: String, CodingKey {
        case append, draft
        case contextLength = "context_length"
        case draftProbabilities = "draft_probs"
        case draftDistributions = "draft_dists"
        case topK = "top_k"
        case stallMilliseconds = "stall_ms"
        case queue
        case contextHash = "context_hash"
        case nextToken = "next_token"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        contextLength = try c.decode(Int.self, forKey: .contextLength)
        append = try c.decodeIfPresent([Int32].self, forKey: .append) ?? []
        draft = try c.decode([Int32].self, forKey: .draft)
        draftProbabilities = try c.decodeIfPresent([Float].self, forKey: .draftProbabilities)
        draftDistributions = try c.decodeIfPresent([[TokenProbability]].self, forKey: .draftDistributions)
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? 1
        stallMilliseconds = try c.decodeIfPresent(Double.self, forKey: .stallMilliseconds)
        queue = try c.decodeIfPresent(Bool.self, forKey: .queue) ?? false
        contextHash = try c.decodeIfPresent(String.self, forKey: .contextHash)
        nextToken = try c.decodeIfPresent(Int32.self, forKey: .nextToken)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(contextLength, forKey: .contextLength)
        try c.encode(append, forKey: .append)
        try c.encode(draft, forKey: .draft)
        try c.encodeIfPresent(draftProbabilities, forKey: .draftProbabilities)
        try c.encodeIfPresent(draftDistributions, forKey: .draftDistributions)
        try c.encode(topK, forKey: .topK)
        try c.encodeIfPresent(stallMilliseconds, forKey: .stallMilliseconds)
        if queue { try c.encode(queue, forKey: .queue) }
        try c.encodeIfPresent(contextHash, forKey: .contextHash)
        try c.encodeIfPresent(nextToken, forKey: .nextToken)
    }
}

/// The cloud's view of one draft position.
public struct PositionVerdict: Codable, Sendable, Equatable {
    /// The cloud model's most likely tokens here (plain softmax, temperature 1), best first.
    public var top: [TokenLogprob]
    /// The cloud's probability of the draft token here (plain softmax); absent for the
    /// position after a fully accepted chunk.
    public var draftProbability: Float?

    public init(top: [TokenLogprob], draftProbability: Float?) {
        self.top = top
        self.draftProbability = draftProbability
    }

    enum CodingKeys: String, CodingKey {
        case top
        case draftProbability = "p"
    }
}

/// The verdict on a draft chunk.
public struct VerifyResponse: Codable, Sendable, Equatable {
    /// Draft tokens accepted (a prefix of the draft).
    public var accepted: Int
    /// The cloud's token replacing the first rejected draft token; nil when all were accepted.
    public var correction: Int32?
    /// Per position 0 … `accepted` (so `accepted + 1` entries): the cloud's distribution for
    /// the draft token at that index. Entry `accepted` is the rejected position, or, when all
    /// were accepted, the distribution after the chunk (not added to the context).
    public var positions: [PositionVerdict]
    /// Tokens the session now holds: context + append + accepted + (correction ? 1 : 0).
    public var contextLength: Int

    public init(accepted: Int, correction: Int32?, positions: [PositionVerdict], contextLength: Int) {
        self.accepted = accepted
        self.correction = correction
        self.positions = positions
        self.contextLength = contextLength
    }

    enum CodingKeys: String, CodingKey {
        case accepted, correction, positions
        case contextLength = "context_length"
    }
}

/// A fingerprint of a token sequence: 64-bit FNV-1a over the ids' little-endian bytes, as
/// 16 hex digits. Sessions compare it with `VerifyRequest.contextHash`.
public enum ContextHash {
    public static func of<C: Collection>(_ tokens: C) -> String where C.Element == Int32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for token in tokens {
            var bits = UInt32(bitPattern: token)
            for _ in 0..<4 {
                hash = (hash ^ UInt64(bits & 0xff)) &* 0x0000_0100_0000_01b3
                bits >>= 8
            }
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
