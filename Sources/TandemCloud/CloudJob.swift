import TandemEngine

/// What a job does after a piece of it ran.
enum JobProgress {
    /// More segments are queued.
    case running
    /// It sampled a token to feed back: queue one decode segment.
    case decode
    /// Done; its answer was delivered.
    case finished
}

/// A request as the driver sees it: where its tokens come from and what it does with the
/// rows that come back. Called only under the service's lock (or by the driver thread), which
/// is why the job classes may be `@unchecked Sendable`.
protocol CloudJob: AnyObject {
    var id: Int { get }
    var cache: KVCache { get }
    var segments: [Segment] { get }
    /// Lower is sooner (seconds on the service's clock).
    var deadline: Double { get }
    var submitted: ContinuousClock.Instant { get }
    /// Whether it has been in a step yet (queue wait is measured once).
    var started: Bool { get set }
    /// Takes the tokens of this piece (advances the job's cursor).
    func take(_ entry: StepEntry) -> [TokenID]
    func receive(_ entry: StepEntry, _ output: SequenceOutput, metrics: inout CloudMetrics) -> JobProgress
    /// Ends the job with an error (cancelled, failed, shutdown) and restores its session.
    func fail(_ error: any Error)
}

extension StepEntry {
    /// The engine's output request for this piece: full log-probabilities for every row asked.
    var outputRequest: OutputRequest {
        switch rows {
        case .none: .cacheOnly
        case .all: OutputRequest(rows: .all, distribution: .fullLogProbs)
        case .tail(let k): OutputRequest(rows: .tail(k), distribution: .fullLogProbs)
        }
    }
}
