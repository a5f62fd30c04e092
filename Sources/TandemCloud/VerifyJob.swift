import TandemEngine
import TandemProtocol

/// A draft chunk checked on a session: the context the cache lacks, then the chunk, then the
/// verdict, which the session takes on atomically (a failed job leaves it unchanged).
final class VerifyJob: CloudJob, @unchecked Sendable {
    let id: Int
    let session: CloudSession
    let request: VerifyRequest
    /// The session's context with `append`, before the draft.
    let context: [TokenID]
    /// Everything to run: context from the cache's length on, then the draft.
    let feed: [TokenID]
    let segments: [Segment]
    let deadline: Double
    let submitted = ContinuousClock.now
    var started = false
    /// Delivers the answer; the service defers it until its lock is released.
    var reply: ((Result<VerifyResponse, any Error>) -> Void)?
    private var cursor = 0

    var cache: KVCache { session.cache }

    /// - Parameter mergeLimit: up to this many unseen context tokens ride in the verification
    ///   chunk itself; more are a prefill segment first (which returns no rows).
    init(id: Int, session: CloudSession, request: VerifyRequest, deadline: Double, mergeLimit: Int) {
        self.id = id
        self.session = session
        self.request = request
        self.deadline = deadline
        let start = session.rewindForOutput()
        context = session.tokens + request.append
        feed = Array(context[start...]) + request.draft
        let tail = context.count - start
        // One pass when everything fits the merge limit (the batched kernels' tile: one more
        // token costs a second tile); else the context first, then the chunk's own pass.
        segments = tail + request.draft.count > mergeLimit
            ? [.prefill(tail - 1), .verification(1 + request.draft.count)]
            : [.verification(tail + request.draft.count, outputs: 1 + request.draft.count)]
    }

    func take(_ entry: StepEntry) -> [TokenID] {
        defer { cursor += entry.tokens }
        return Array(feed[cursor..<cursor + entry.tokens])
    }

    func receive(_ entry: StepEntry, _ output: SequenceOutput, metrics: inout CloudMetrics) -> JobProgress {
        guard entry.kind == .verification else { return .running }
        let draft = request.draft
        let rows = output.tokens.suffix(draft.count + 1).map { $0.distribution ?? [] }
        let verdict = SpeculativeAcceptance.judge(rows: rows, draft: draft, draftProbabilities: request.draftProbabilities,
                                                  draftDistributions: request.draftDistributions, topK: request.topK,
                                                  sampler: &session.sampler)
        var tokens = context + draft[..<verdict.accepted]
        session.cache.truncate(to: tokens.count)
        if let correction = verdict.correction { tokens.append(correction) }
        session.tokens = tokens
        session.predictedNext = verdict.next.map { (tokens.count, $0) }
        session.busy = false
        if !draft.isEmpty {
            metrics.recordVerification(draft: draft.count, accepted: verdict.accepted,
                                       latency: (ContinuousClock.now - submitted).seconds)
        }
        reply?(.success(VerifyResponse(accepted: verdict.accepted, correction: verdict.correction,
                                       positions: verdict.positions, contextLength: tokens.count)))
        reply = nil
        return .finished
    }

    func fail(_ error: any Error) {
        session.restore()
        reply?(.failure(error))
        reply = nil
    }
}

/// A verification waiting in its session's line (`VerifyRequest.queue`). Under the
/// service's lock.
final class QueuedVerification: @unchecked Sendable {
    let request: VerifyRequest
    let deadline: ContinuousClock.Instant
    /// Delivers the answer; the service defers it until its lock is released.
    var reply: ((Result<VerifyResponse, any Error>) -> Void)?
    /// Settles the wait at `deadline`; cancelled once the request leaves the line.
    var timer: Task<Void, Never>?

    init(request: VerifyRequest, deadline: ContinuousClock.Instant) {
        self.request = request
        self.deadline = deadline
    }

    func finish(throwing error: any Error) {
        reply?(.failure(error))
        reply = nil
        timer?.cancel()
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
