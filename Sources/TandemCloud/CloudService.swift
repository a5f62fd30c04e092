import Foundation
import TandemEngine
import TandemProtocol
import TandemTokenizer

/// The cloud side without HTTP: sessions, the scheduler, and a driver thread that runs one
/// batched `Engine.forward` per scheduler step.
///
/// The driver is a dedicated `Thread`, not a task: a forward call is synchronous and keeps
/// both cores busy for tens of milliseconds, which would starve Swift's cooperative pool
/// (and with it the HTTP server). Requests wait on continuations the driver resumes.
/// Every method may be called from any thread; state lives under one lock.
public final class CloudService: @unchecked Sendable {
    public let engine: Engine
    public let configuration: CloudConfiguration
    /// Most tokens a context may reach.
    public let maxContextLength: Int
    /// Ids below this are valid input.
    public var vocabularySize: Int { engine.tokenizer.vocabularySize }

    private let condition = NSCondition()
    private var scheduler: Scheduler
    private var store: SessionStore
    private var jobs: [Int: any CloudJob] = [:]
    /// Queued verifications (`VerifyRequest.queue`) by session, in arrival order.
    private var waiting: [String: [QueuedVerification]] = [:]
    private var executing: Set<Int> = []
    private var cancelledWhileExecuting: Set<Int> = []
    private var nextJobID = 0
    private var metrics = CloudMetrics()
    private var draining = false
    /// Stream yields and finishes decided under the lock, run right after it is released
    /// (finishing a stream calls its termination handler, which takes the lock).
    private var outbox: [() -> Void] = []
    private var started = false
    private let stopped = DispatchSemaphore(value: 0)
    private let clockStart = ContinuousClock.now
    private let endOfGeneration: Set<TokenID>

    public init(engine: Engine, configuration: CloudConfiguration) {
        self.engine = engine
        self.configuration = configuration
        maxContextLength = min(configuration.maxContextLength ?? engine.configuration.contextLength, engine.configuration.contextLength)
        scheduler = Scheduler(policy: configuration.policy, tokenBudget: configuration.tokenBudget,
                              maxRowsPerPiece: configuration.maxRowsPerPiece)
        store = SessionStore(maxSessions: configuration.maxSessions, memoryBudget: configuration.kvMemoryBytes)
        endOfGeneration = StopCondition(endOfGenerationOf: engine.tokenizer).tokenIDs
    }

    /// Starts the driver thread (once).
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return }
        started = true
        let thread = Thread { [self] in driverLoop() }
        thread.name = "tandem-cloud-driver"
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// Refuses new requests, lets the queued ones finish, then stops the driver.
    public func shutdown() async {
        guard beginDraining() else { return }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { [stopped] in
                stopped.wait()
                stopped.signal()
                done.resume()
            }
        }
    }

    /// Refuses new requests from now on; whether the driver runs (and must be waited for).
    private func beginDraining() -> Bool {
        locked {
            draining = true
            for waiter in waiting.values.joined() { waiter.finish(throwing: ErrorResponse(.unavailable, "the server is shutting down")) }
            waiting = [:]
            condition.broadcast()
            return started
        }
    }

    // MARK: Sessions

    public func createSession(_ request: CreateSessionRequest) throws(ErrorResponse) -> CreateSessionResponse {
        if let version = request.protocolVersion, version != TandemAPI.version {
            throw ErrorResponse(.unsupportedVersion, "protocol version \(version) is not supported (this server speaks \(TandemAPI.version))",
                                param: "protocol_version")
        }
        try checkIDs(request.context, param: "context")
        guard request.context.count <= maxContextLength else {
            throw ErrorResponse(.contextFull, "context of \(request.context.count) tokens exceeds the limit of \(maxContextLength)", param: "context")
        }
        let sampler = try makeSampler(request.sampling)
        return try locked { () throws(ErrorResponse) in
            try admit(queueing: false)
            var id: String
            repeat { id = String(format: "%016llx", UInt64.random(in: .min ... .max)) } while store.sessions[id] != nil
            let session = CloudSession(id: id, cache: engine.makeCache(maxLength: maxContextLength), tokens: request.context,
                                       sampler: sampler, now: store.tick())
            try store.insert(session)
            serveAllWaiting()   // an eviction may have ended a line
            metrics.sessionsCreated += 1
            return CreateSessionResponse(sessionID: id, contextLength: session.tokens.count, maxContextLength: maxContextLength,
                                         vocabularySize: vocabularySize, model: configuration.modelName, mergeLimit: configuration.mergeLimit)
        }
    }

    public func closeSession(_ id: String) throws(ErrorResponse) -> CloseSessionResponse {
        try locked { () throws(ErrorResponse) in
            let session = try store.session(id)
            guard !session.busy else { throw ErrorResponse(.sessionBusy, "session \(id) has a request in flight") }
            _ = store.remove(id)
            serveWaiting(id)   // its line ends: session_not_found
            return CloseSessionResponse(sessionID: id)
        }
    }

    /// The tokens the cloud holds for a session (for tests and diagnostics).
    public func sessionContext(_ id: String) throws(ErrorResponse) -> [TokenID] {
        try locked { () throws(ErrorResponse) in try store.session(id).tokens }
    }

    // MARK: Verification

    public func verify(session id: String, _ request: VerifyRequest) async throws -> VerifyResponse {
        try validate(request)
        if request.queue { return try await verifyQueued(session: id, request) }
        let job: VerifyJob = try locked { () throws(ErrorResponse) in
            try admit(queueing: true)
            let session = try store.session(id)
            guard !session.busy else { throw ErrorResponse(.sessionBusy, "session \(id) has a request in flight") }
            if let problem = verificationProblem(request, on: session) { throw problem }
            session.busy = true
            let job = VerifyJob(id: takeJobID(), session: session, request: request,
                                deadline: now() + (request.stallMilliseconds ?? 0) / 1000, mergeLimit: configuration.mergeLimit)
            jobs[job.id] = job
            return job
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<VerifyResponse, any Error>) in
                locked {
                    guard jobs[job.id] != nil else { return continuation.resume(throwing: CancellationError()) }
                    job.reply = deferredReply(continuation)
                    schedule(job)
                }
            }
        } onCancel: { [id = job.id] in
            cancel(id)
        }
    }

    /// A queued verification: waits in its session's line until `serveWaiting` starts it
    /// or settles it, its task is cancelled, or `queueWaitSeconds` pass. A wait whose bet
    /// was lost ends when the session moves past the context it states, or closes.
    private func verifyQueued(session id: String, _ request: VerifyRequest) async throws -> VerifyResponse {
        let waiter = QueuedVerification(request: request, deadline: ContinuousClock.now + .seconds(TandemAPI.queueWaitSeconds))
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<VerifyResponse, any Error>) in
                locked {
                    waiter.reply = deferredReply(continuation)
                    if Task.isCancelled { return waiter.finish(throwing: CancellationError()) }
                    do throws(ErrorResponse) {
                        try admit(queueing: true)
                        _ = try store.session(id)
                    } catch {
                        return waiter.finish(throwing: error)
                    }
                    waiting[id, default: []].append(waiter)
                    serveWaiting(id)
                    // Nothing else may touch the session again: settle the wait at its deadline.
                    if waiter.reply != nil {
                        waiter.timer = Task { [weak self] in
                            guard (try? await Task.sleep(until: waiter.deadline)) != nil else { return }
                            self?.locked { self?.serveWaiting(id) }
                        }
                    }
                }
            }
        } onCancel: {
            locked {
                guard let index = waiting[id]?.firstIndex(where: { $0 === waiter }) else { return }
                waiting[id]?.remove(at: index)
                waiter.finish(throwing: CancellationError())
            }
        }
    }

    /// Under the lock, when a session may have changed: if it is idle, starts the queued
    /// verification that states its context, and settles the waiters whose bets can no
    /// longer hold (they state a context the session has passed, or other tokens) or whose
    /// wait ran out. The rest wait on.
    private func serveWaiting(_ id: String) {
        guard let queue = waiting[id], !queue.isEmpty else { waiting[id] = nil; return }
        let session: CloudSession
        do throws(ErrorResponse) { session = try store.session(id) } catch {
            for waiter in queue { waiter.finish(throwing: error) }
            waiting[id] = nil
            return
        }
        let clock = ContinuousClock.now
        var remaining: [QueuedVerification] = []
        var head: QueuedVerification?
        for waiter in queue {
            if clock >= waiter.deadline {
                waiter.finish(throwing: ErrorResponse(.sessionBusy, "session \(id) did not reach the context this request waited for within \(Int(TandemAPI.queueWaitSeconds)) s"))
            } else if session.busy || head != nil || waiter.request.contextLength > session.tokens.count {
                remaining.append(waiter)
            } else if let problem = verificationProblem(waiter.request, on: session) {
                waiter.finish(throwing: problem)
            } else {
                head = waiter
            }
        }
        waiting[id] = remaining.isEmpty ? nil : remaining
        guard let head else { return }
        session.busy = true
        let job = VerifyJob(id: takeJobID(), session: session, request: head.request,
                            deadline: now() + (head.request.stallMilliseconds ?? 0) / 1000, mergeLimit: configuration.mergeLimit)
        job.reply = head.reply
        head.reply = nil
        head.timer?.cancel()
        jobs[job.id] = job
        schedule(job)
    }

    /// Resumes `continuation` once the lock is released: resuming a task takes its status
    /// lock, which a concurrent `cancel()` holds while its handler waits for ours.
    private func deferredReply(_ continuation: CheckedContinuation<VerifyResponse, any Error>) -> (Result<VerifyResponse, any Error>) -> Void {
        { [unowned self] result in outbox.append { continuation.resume(with: result) } }
    }

    private func serveAllWaiting() {
        for id in Array(waiting.keys) { serveWaiting(id) }
    }

    /// Why `request` cannot run on `session` (idle) as it stands, or nil: the context it states
    /// (length, `context_hash`, `next_token`), room in the context, a token to start from.
    private func verificationProblem(_ request: VerifyRequest, on session: CloudSession) -> ErrorResponse? {
        let held = session.tokens.count
        guard request.contextLength == held else {
            return ErrorResponse(.contextMismatch, "the cloud holds \(held) tokens of session \(session.id), not \(request.contextLength)",
                                 param: "context_length", contextLength: held)
        }
        if let hash = request.contextHash, hash != ContextHash.of(session.tokens) {
            return ErrorResponse(.contextMismatch, "the \(held) tokens the cloud holds of session \(session.id) are not the ones the device expects",
                                 param: "context_hash", contextLength: held)
        }
        if let next = request.nextToken, session.predictedNext.map({ $0 != (held, next) }) ?? true {
            return ErrorResponse(.contextMismatch, "the cloud's next token after the \(held) tokens of session \(session.id) is not \(next)",
                                 param: "next_token", contextLength: held)
        }
        let adding = request.append.count + request.draft.count
        guard held + adding <= maxContextLength else {
            return ErrorResponse(.contextFull, "\(held) + \(adding) tokens exceed the context limit of \(maxContextLength)")
        }
        guard held + request.append.count > 0 else {
            return ErrorResponse(.invalidRequest, "verification needs at least one context token before the draft", param: "append")
        }
        return nil
    }

    private func validate(_ request: VerifyRequest) throws(ErrorResponse) {
        // An empty draft is a sync: the session takes on `append`, nothing is judged.
        let k = request.draft.count
        guard k <= configuration.maxDraft else {
            throw ErrorResponse(.tooManyTokens, "draft of \(k) tokens exceeds the limit of \(configuration.maxDraft)", param: "draft")
        }
        guard request.contextLength >= 0 else { throw ErrorResponse(.invalidRequest, "context_length is negative", param: "context_length") }
        guard (0...TandemAPI.maxTopK).contains(request.topK) else {
            throw ErrorResponse(.invalidRequest, "top_k must be in 0...\(TandemAPI.maxTopK)", param: "top_k")
        }
        if let stall = request.stallMilliseconds, !stall.isFinite {
            throw ErrorResponse(.invalidRequest, "stall_ms must be a finite number", param: "stall_ms")
        }
        try checkIDs(request.append, param: "append")
        try checkIDs(request.draft, param: "draft")
        if let next = request.nextToken, request.append.first != next {
            throw ErrorResponse(.invalidRequest, "next_token must be the first appended token", param: "next_token")
        }
        if let q = request.draftProbabilities {
            guard q.count == k else { throw ErrorResponse(.invalidRequest, "draft_probs has \(q.count) entries for \(k) draft tokens", param: "draft_probs") }
            guard q.allSatisfy({ $0.isFinite && $0 > 0 && $0 <= 1 }) else {
                throw ErrorResponse(.invalidRequest, "each draft probability must be in (0, 1]", param: "draft_probs")
            }
        }
        if let distributions = request.draftDistributions {
            guard distributions.count == k else {
                throw ErrorResponse(.invalidRequest, "draft_dists has \(distributions.count) entries for \(k) draft tokens", param: "draft_dists")
            }
            for entries in distributions {
                try checkIDs(entries.map(\.id), param: "draft_dists")
                guard Set(entries.map(\.id)).count == entries.count,
                      entries.allSatisfy({ $0.probability.isFinite && $0.probability >= 0 && $0.probability <= 1 }),
                      entries.contains(where: { $0.probability > 0 }) else {
                    throw ErrorResponse(.invalidRequest, "each draft distribution needs distinct ids and probabilities in [0, 1], some > 0",
                                        param: "draft_dists")
                }
            }
        }
    }

    // MARK: Generation

    /// The cloud writes tokens after a session's context; they join the session.
    public func generate(session id: String, _ request: SessionGenerateRequest) async throws -> SessionGenerateResponse {
        guard request.maxTokens >= 1 else { throw ErrorResponse(.invalidRequest, "max_tokens must be at least 1", param: "max_tokens") }
        guard request.contextLength >= 0 else { throw ErrorResponse(.invalidRequest, "context_length is negative", param: "context_length") }
        try checkIDs(request.append, param: "append")
        if let stops = request.stopTokens { try checkIDs(stops, param: "stop_tokens") }
        let stream: AsyncThrowingStream<CloudGenerationEvent, any Error> = try locked { () throws(ErrorResponse) in
            try admit(queueing: true)
            let session = try claim(id, contextLength: request.contextLength, adding: request.append.count)
            guard session.tokens.count + request.append.count > 0 else {
                throw ErrorResponse(.invalidRequest, "generation needs at least one context token", param: "append")
            }
            session.busy = true
            let start = session.rewindForOutput()
            let context = session.tokens + request.append
            let room = maxContextLength - context.count
            let generation = CloudGenerationRequest(prompt: context, maxTokens: min(request.maxTokens, room))
            return makeStream { id, emit, finish in
                GenerationJob(id: id, cache: session.cache, feed: Array(context[start...]), promptOffset: start, request: generation,
                              stopTokens: request.stopTokens.map(Set.init) ?? endOfGeneration, sampler: session.sampler,
                              deadline: now(), emit: emit) { job, error in
                    if error == nil {
                        session.tokens = context + job.generated
                        session.sampler = job.sampler
                        session.busy = false
                    } else {
                        session.restore()
                    }
                    finish(error)
                }
            }
        }
        var tokens: [Int32] = []
        var reason = CloudFinishReason.length
        for try await event in stream {
            switch event {
            case .token(let token): tokens.append(token.id)
            case .finished(let why): reason = why
            case .promptLogprobs: break
            }
        }
        let length = try sessionContext(id).count
        return SessionGenerateResponse(tokens: tokens, finishReason: reason.rawValue, contextLength: length)
    }

    /// Generation on a fresh cache (the OpenAI-style routes): a stream of events; ending the
    /// stream early (dropping it, or cancelling its consumer) cancels the work.
    public func generate(_ request: CloudGenerationRequest) throws(ErrorResponse) -> CloudGeneration {
        guard !request.prompt.isEmpty else { throw ErrorResponse(.invalidRequest, "the prompt is empty", param: "prompt") }
        try checkIDs(request.prompt, param: "prompt")
        guard request.prompt.count <= maxContextLength else {
            throw ErrorResponse(.contextFull, "prompt of \(request.prompt.count) tokens exceeds the context limit of \(maxContextLength)", param: "prompt")
        }
        guard request.maxTokens >= 0 else { throw ErrorResponse(.invalidRequest, "max_tokens must not be negative", param: "max_tokens") }
        if let from = request.promptLogprobsFrom, from < 1 || from > request.prompt.count {
            throw ErrorResponse(.invalidRequest, "prompt log-probabilities start at 1...\(request.prompt.count)", param: "logprob_start_len")
        }
        let sampler = try makeSampler(request.sampling)
        var capped = request
        capped.maxTokens = min(request.maxTokens, maxContextLength - request.prompt.count)
        var id = 0
        let stream = try locked { () throws(ErrorResponse) in
            try admit(queueing: true)
            return makeStream { jobID, emit, finish in
                id = jobID
                return GenerationJob(id: jobID, cache: engine.makeCache(maxLength: maxContextLength), feed: capped.prompt, promptOffset: 0,
                                     request: capped, stopTokens: capped.stopTokens ?? endOfGeneration, sampler: sampler,
                                     deadline: now(), emit: emit) { _, error in finish(error) }
            }
        }
        return CloudGeneration(events: stream) { [weak self, id] in self?.cancel(id) }
    }

    /// A stream fed by a new generation job, scheduled at once. Under the lock.
    private func makeStream(
        _ makeJob: (Int, @escaping @Sendable (CloudGenerationEvent) -> Void, @escaping ((any Error)?) -> Void) -> GenerationJob
    ) -> AsyncThrowingStream<CloudGenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<CloudGenerationEvent, any Error>.makeStream()
        let job = makeJob(takeJobID(), { [unowned self] event in outbox.append { continuation.yield(event) } }, { [unowned self] error in
            outbox.append { if let error { continuation.finish(throwing: error) } else { continuation.finish() } }
        })
        jobs[job.id] = job
        schedule(job)
        let id = job.id
        // Only a consumer that went away cancels: a normal finish happens under the lock,
        // where cancel() would deadlock.
        continuation.onTermination = { [weak self] termination in
            if case .cancelled = termination { self?.cancel(id) }
        }
        return stream
    }

    // MARK: Scheduling

    /// The scheduling policy now in force; changing it takes effect from the next step (so a
    /// load generator can compare policies on one server).
    public var policy: SchedulingPolicy {
        get { locked { scheduler.policy } }
        set { locked { scheduler.policy = newValue } }
    }

    // MARK: Metrics

    public func recordRejected(_ code: ErrorCode) {
        locked { metrics.recordRejected(code.rawValue) }
    }

    public func metricsSnapshot() -> CloudMetrics {
        locked {
            var snapshot = metrics
            snapshot.evictions = store.evictions
            return snapshot
        }
    }

    public var sessionCount: Int { locked { store.count } }
    public var kvBytes: Int { locked { store.memoryBytes } }

    public func prometheusText() -> String {
        locked {
            var snapshot = metrics
            snapshot.evictions = store.evictions
            return snapshot.prometheusText(sessions: store.count, kvBytes: store.memoryBytes, queueDepth: jobs.count,
                                   tokenBudget: configuration.tokenBudget)
        }
    }

    // MARK: Internals (under the lock)

    /// Runs `body` under the lock, then what it left in the outbox.
    private func locked<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        condition.lock()
        let result = Result<T, E> { () throws(E) in try body() }
        let effects = outbox
        outbox = []
        condition.unlock()
        effects.forEach { $0() }
        return try result.get()
    }

    private func now() -> Double { (ContinuousClock.now - clockStart).seconds }

    private func takeJobID() -> Int {
        nextJobID += 1
        return nextJobID
    }

    private func admit(queueing: Bool) throws(ErrorResponse) {
        guard !draining else { throw ErrorResponse(.unavailable, "the server is shutting down") }
        if queueing, jobs.count >= configuration.maxQueue {
            throw ErrorResponse(.overloaded, "the queue holds \(jobs.count) requests, its limit; retry later")
        }
    }

    /// The session for a new request: exists, idle, holding what the device believes, with room.
    private func claim(_ id: String, contextLength: Int, adding: Int) throws(ErrorResponse) -> CloudSession {
        let session = try store.session(id)
        guard !session.busy else { throw ErrorResponse(.sessionBusy, "session \(id) has a request in flight") }
        guard contextLength == session.tokens.count else {
            throw ErrorResponse(.contextMismatch, "the cloud holds \(session.tokens.count) tokens of session \(id), not \(contextLength)",
                                param: "context_length", contextLength: session.tokens.count)
        }
        guard session.tokens.count + adding <= maxContextLength else {
            throw ErrorResponse(.contextFull, "\(session.tokens.count) + \(adding) tokens exceed the context limit of \(maxContextLength)")
        }
        return session
    }

    private func checkIDs(_ ids: [Int32], param: String) throws(ErrorResponse) {
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
            throw ErrorResponse(.tokenOutOfRange, "token id \(bad) is outside the vocabulary of \(vocabularySize) tokens", param: param)
        }
    }

    private func makeSampler(_ options: SamplingOptions) throws(ErrorResponse) -> Sampler {
        try makeSampler(SamplingParameters(temperature: options.temperature, topK: options.topK, topP: options.topP, seed: options.seed))
    }

    private func makeSampler(_ parameters: SamplingParameters) throws(ErrorResponse) -> Sampler {
        do { return try Sampler(parameters: parameters) } catch { throw ErrorResponse(.invalidRequest, error.description) }
    }

    private func schedule(_ job: any CloudJob) {
        scheduler.submit(id: job.id, segments: job.segments, deadline: job.deadline)
        condition.signal()
    }

    private func cancel(_ id: Int) {
        locked {
            guard let job = jobs[id] else { return }
            if executing.contains(id) {
                cancelledWhileExecuting.insert(id)
                return
            }
            drop(job, CancellationError())
            serveAllWaiting()
        }
    }

    private func drop(_ job: any CloudJob, _ error: any Error) {
        if error is CancellationError { metrics.cancelledRequests += 1 }
        scheduler.remove(job.id)
        jobs[job.id] = nil
        job.fail(error)
    }

    // MARK: Driver

    private func driverLoop() {
        condition.lock()
        while true {
            while scheduler.pendingCount == 0 && !(draining && jobs.isEmpty) { condition.wait() }
            if draining && jobs.isEmpty { break }
            let step = scheduler.plan()
            var inputs: [SequenceInput] = []
            for entry in step.entries {
                let job = jobs[entry.id]!
                if !job.started {
                    job.started = true
                    metrics.queueWaitSeconds.observe((ContinuousClock.now - job.submitted).seconds)
                }
                inputs.append(SequenceInput(cache: job.cache, tokens: job.take(entry), outputs: entry.outputRequest))
            }
            executing = Set(step.entries.map(\.id))
            condition.unlock()

            let began = ContinuousClock.now
            let result = Result { () throws(EngineError) in try engine.forward(inputs) }
            let elapsed = (ContinuousClock.now - began).seconds

            condition.lock()
            executing = []
            scheduler.commit(step)
            record(step, seconds: elapsed)
            switch result {
            case .success(let outputs):
                for (entry, output) in zip(step.entries, outputs) {
                    guard let job = jobs[entry.id], !cancelledWhileExecuting.contains(entry.id) else { continue }
                    switch job.receive(entry, output, metrics: &metrics) {
                    case .running: break
                    case .decode: scheduler.append(.decode, to: job.id)
                    case .finished:
                        scheduler.remove(job.id)
                        jobs[job.id] = nil
                    }
                }
            case .failure(let error):
                for entry in step.entries {
                    if let job = jobs[entry.id] { drop(job, ErrorResponse(.internalError, "engine: \(error.description)")) }
                }
            }
            for id in cancelledWhileExecuting {
                if let job = jobs[id] { drop(job, CancellationError()) }
            }
            cancelledWhileExecuting = []
            store.enforceMemoryBudget()
            serveAllWaiting()
            let effects = outbox
            outbox = []
            condition.unlock()
            effects.forEach { $0() }
            condition.lock()
        }
        condition.unlock()
        stopped.signal()
    }

    private func record(_ step: Step, seconds: Double) {
        metrics.steps += 1
        metrics.stepTokens += step.tokenCount
        metrics.stepSeconds.observe(seconds)
        metrics.packingFactor.observe(step.packingFactor)
        for entry in step.entries {
            switch entry.kind {
            case .prefill: metrics.prefillTokens += entry.tokens
            case .decode: metrics.decodeTokens += entry.tokens
            case .verification: metrics.verificationTokens += entry.tokens
            }
        }
    }
}
