import Foundation

/// A Prometheus histogram: cumulative counts per upper bound, sum and count.
public struct Histogram: Sendable, Equatable {
    public let bounds: [Double]
    public private(set) var counts: [Int]
    public private(set) var sum: Double = 0
    public private(set) var count = 0

    public init(bounds: [Double]) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count)
    }

    public mutating func observe(_ value: Double) {
        for (index, bound) in bounds.enumerated() where value <= bound { counts[index] += 1 }
        sum += value
        count += 1
    }

    /// Seconds from 1 ms to 30 s.
    static func latency() -> Histogram {
        Histogram(bounds: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
    }
}

/// The service's counters, gauges and histograms (names in `prometheusText`).
public struct CloudMetrics: Sendable, Equatable {
    public var steps = 0
    public var stepTokens = 0
    public var prefillTokens = 0
    public var decodeTokens = 0
    public var verificationTokens = 0
    public var verifications = 0
    public var draftTokens = 0
    public var acceptedTokens = 0
    public var generatedTokens = 0
    public var sessionsCreated = 0
    public var evictions = 0
    /// Requests dropped because their client went away or cancelled.
    public var cancelledRequests = 0
    /// Refused requests by error code.
    public var rejected: [String: Int] = [:]
    public var packingFactor = Histogram(bounds: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.5])
    public var stepSeconds = Histogram.latency()
    public var queueWaitSeconds = Histogram.latency()
    public var verificationSeconds = Histogram.latency()

    public init() {}

    mutating func recordVerification(draft: Int, accepted: Int, latency: Double) {
        verifications += 1
        draftTokens += draft
        acceptedTokens += accepted
        verificationSeconds.observe(latency)
    }

    public mutating func recordRejected(_ code: String) {
        rejected[code, default: 0] += 1
    }

    /// The Prometheus text exposition (version 0.0.4) with the gauges given.
    public func prometheusText(sessions: Int, kvBytes: Int, queueDepth: Int, tokenBudget: Int) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: some CustomStringConvertible) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        func histogram(_ name: String, _ help: String, _ h: Histogram) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            for (bound, count) in zip(h.bounds, h.counts) { out += "\(name)_bucket{le=\"\(bound)\"} \(count)\n" }
            out += "\(name)_bucket{le=\"+Inf\"} \(h.count)\n\(name)_sum \(h.sum)\n\(name)_count \(h.count)\n"
        }
        metric("tandem_steps_total", "counter", "Engine steps run.", steps)
        metric("tandem_step_tokens_total", "counter", "Tokens run in engine steps.", stepTokens)
        metric("tandem_prefill_tokens_total", "counter", "Prefill tokens run.", prefillTokens)
        metric("tandem_decode_tokens_total", "counter", "Decode tokens run.", decodeTokens)
        metric("tandem_verification_tokens_total", "counter", "Tokens run in verification chunks.", verificationTokens)
        metric("tandem_verifications_total", "counter", "Draft chunks verified.", verifications)
        metric("tandem_draft_tokens_total", "counter", "Draft tokens verified.", draftTokens)
        metric("tandem_accepted_tokens_total", "counter", "Draft tokens accepted.", acceptedTokens)
        metric("tandem_generated_tokens_total", "counter", "Tokens generated.", generatedTokens)
        metric("tandem_sessions_created_total", "counter", "Sessions created.", sessionsCreated)
        metric("tandem_evictions_total", "counter", "Sessions evicted to free memory or a slot.", evictions)
        metric("tandem_cancelled_requests_total", "counter", "Requests whose client went away or cancelled before the end.", cancelledRequests)
        out += "# HELP tandem_rejected_requests_total Requests refused, by error code.\n# TYPE tandem_rejected_requests_total counter\n"
        for (code, count) in rejected.sorted(by: { $0.key < $1.key }) {
            out += "tandem_rejected_requests_total{code=\"\(code)\"} \(count)\n"
        }
        metric("tandem_sessions", "gauge", "Open sessions.", sessions)
        metric("tandem_kv_bytes", "gauge", "Bytes held by session KV caches.", kvBytes)
        metric("tandem_queue_depth", "gauge", "Requests queued or running.", queueDepth)
        metric("tandem_token_budget", "gauge", "Tokens one engine step may run.", tokenBudget)
        histogram("tandem_packing_factor", "Tokens per step divided by the token budget.", packingFactor)
        histogram("tandem_step_seconds", "Engine step time.", stepSeconds)
        histogram("tandem_queue_wait_seconds", "Time from submission to a request's first step.", queueWaitSeconds)
        histogram("tandem_verification_latency_seconds", "Time from submission to verdict.", verificationSeconds)
        return out
    }
}
