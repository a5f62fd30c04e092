import Foundation
import TandemEngine
import TandemProtocol
import TandemTokenizer

/// One event of a collaborative generation, in order.
public enum CollaborationEvent: Sendable {
    /// A token is final (it will never be taken back).
    case token(TokenID, Provenance)
    /// Text of the final tokens, whole UTF-8 characters only.
    case text(String)
    /// Something went wrong with the cloud and the decoder went on without it.
    case warning(String)
    case finished(CollaborationResult)
}

/// The whole answer (`generate --json`).
public struct CollaborationResult: Sendable, Codable {
    public var text: String
    public var tokens: [TokenID]
    public var provenance: [Provenance]
    public var finishReason: String
    public var stats: CollaborationStats

    public init(text: String, tokens: [TokenID], provenance: [Provenance], finishReason: String, stats: CollaborationStats) {
        self.text = text
        self.tokens = tokens
        self.provenance = provenance
        self.finishReason = finishReason
        self.stats = stats
    }

    enum CodingKeys: String, CodingKey {
        case text, tokens, provenance, stats
        case finishReason = "finish_reason"
    }
}

/// The device side of Tandem: the device model drafts every token; chunks that the policy
/// finds risky go to the cloud for verification; a rejection rolls the device back to the
/// cloud's correction. See DESIGN.md, "Algorithms".
///
/// Invariants, with `tokens` = prompt + committed + drafted:
/// - `tokens[..<committed]` are final and streamed; nothing after them is.
/// - At most one chunk is open, and it starts at `committed` (everything before a chunk is
///   final, so its verdict alone decides what follows).
/// - While a chunk is in flight the device drafts past it (stall-free), never further than
///   `lookahead` tokens. Those tokens are committed or opened as a chunk only after the
///   verdict; meanwhile `pipeline()` may send the chunks the loop would open next if every
///   chunk in flight were accepted whole (`pipelineDepth`). `advance()` adopts such a chunk
///   when it opens the same one; a rejection drops them. They change when a verdict
///   arrives, never what is committed.
/// - The cloud session holds `tokens[..<cloudLength]`; a verification appends the final
///   tokens it has not seen. With nothing to verify, committed tokens go ahead in a sync (a
///   verification of nothing) so the cloud reads them while the device drafts; every later
///   call waits for the sync first, and a failed sync surfaces as the next verification's
///   resync.
/// The committed sequence depends only on the models, the prompt and the policy, not on
/// timing: stall-free drafting on or off gives the same tokens.
public final class CollaborativeDecoder: @unchecked Sendable {
    // @unchecked: a decoder runs one generation at a time (checked); its engine is thread-safe.
    public let device: Engine
    public let cloud: (any CloudVerifier)?
    public let options: CollaborationOptions

    public init(device: Engine, cloud: (any CloudVerifier)?, options: CollaborationOptions) {
        precondition(options.chunkSize >= 1 && options.lookahead >= 0 && options.maxTokens >= 0)
        self.device = device
        self.cloud = cloud
        self.options = options
    }

    /// Streams the generation's events; cancelling the consumer stops it.
    public func generate(prompt: [TokenID]) -> AsyncThrowingStream<CollaborationEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    _ = try await self.run(prompt: prompt) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Runs one generation, calling `emit` with every event, and returns the result.
    public func run(prompt: [TokenID], emit: @escaping @Sendable (CollaborationEvent) -> Void = { _ in }) async throws -> CollaborationResult {
        guard !prompt.isEmpty else { throw EngineError.invalidRequest("the prompt is empty") }
        let run = try DecodingRun(decoder: self, prompt: prompt, emit: emit)
        return try await run.execute()
    }
}

/// The state of one generation (see `CollaborativeDecoder` for the invariants).
final class DecodingRun {
    struct Draft {
        var signals: TokenSignals
        /// The device's probability of the token under its sampling distribution (for
        /// speculative acceptance); 1 when greedy.
        var probability: Float
        /// What the policy compares with its threshold: 1 − confidence, or in token-routing
        /// the router's score.
        var risk: Float
    }

    struct Chunk: Equatable {
        var start: Int
        var end: Int
    }

    /// A chunk sent while the chunks before it are in flight, betting they are accepted whole.
    struct Pipelined {
        var chunk: Chunk
        var task: Task<Verdict, Never>
    }

    typealias Verdict = Result<(VerifyResponse, session: String), VerifierError>

    let decoder: CollaborativeDecoder
    let options: CollaborationOptions
    let device: Engine
    let emit: @Sendable (CollaborationEvent) -> Void
    let promptCount: Int
    let stopTokens: Set<TokenID>
    let cache: KVCache
    var sampler: Sampler
    var detokenizer: StreamingDetokenizer

    var tokens: [TokenID]
    var drafts: [Draft] = []            // for tokens[committed...]
    var committed: Int
    var fed = 0                         // device cache length
    var output: [TokenID] = []          // committed tokens without a final stop token
    var provenance: [Provenance] = []
    var text = ""
    var chunk: Chunk?                   // open or in flight, starts at `committed`
    var inflight: Task<Verdict, Never>?
    var inflightDone: DoneFlag?
    var pipelined: [Pipelined] = []     // sent past the in-flight chunk, in order (see `pipeline()`)
    var abandoned: [Task<Verdict, Never>] = []  // dropped pipelined calls, awaited at the end
    var syncing: Task<Bool, Never>?     // a sync in flight, true once the cloud took it (see `sync()`)
    var syncDone: DoneFlag?
    var cloudLength = 0
    var session: Task<Result<String, VerifierError>, Never>?
    let terms = SessionTerms()
    var cloudEnabled: Bool
    var consecutiveFailures = 0
    var finishReason: String?
    var stats = CollaborationStats()
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    var lastCommit: ContinuousClock.Instant?
    var gaps: [Double] = []

    init(decoder: CollaborativeDecoder, prompt: [TokenID], emit: @escaping @Sendable (CollaborationEvent) -> Void) throws {
        self.decoder = decoder
        options = decoder.options
        device = decoder.device
        self.emit = emit
        promptCount = prompt.count
        tokens = prompt
        committed = prompt.count
        stopTokens = options.stopTokens ?? StopCondition(endOfGenerationOf: decoder.device.tokenizer).tokenIDs
        cache = device.makeCache()
        if options.mode == .queryRouting {
            throw EngineError.invalidRequest("query-routing runs through QueryRoutingDecoder, not token by token")
        }
        if options.mode == .tokenRouting {
            guard let router = options.router else { throw EngineError.invalidRequest("token-routing needs a router (tandem train-router)") }
            guard router.inputSize == device.configuration.embeddingLength else {
                throw EngineError.invalidRequest("the router reads hidden states of \(router.inputSize), the device model has \(device.configuration.embeddingLength)")
            }
        }
        guard prompt.count < cache.maxLength else { throw EngineError.contextFull(length: 0, adding: prompt.count, limit: cache.maxLength) }
        sampler = try Sampler(parameters: options.sampling)
        detokenizer = StreamingDetokenizer(tokenizer: device.tokenizer)
        cloudEnabled = decoder.cloud != nil && options.mode != .device
        started = clock.now
    }

    var generatedCommitted: Int { committed - promptCount }
    var policy: OffloadPolicy {
        switch options.mode {
        case .speculative: .everything
        case .device, .cloud, .queryRouting: .nothing
        case .tandem, .tokenRouting: options.policy
        }
    }

    func execute() async throws -> CollaborationResult {
        if cloudEnabled { openSession(context: Array(tokens)) }
        if options.mode == .cloud && cloudEnabled {
            try await cloudOnly()
        }
        if finishReason == nil { try await collaborate() }
        if let session, let id = try? await session.value.get(), let cloud = decoder.cloud {
            await cloud.closeSession(id)
        }
        collectBytes()
        let tail = detokenizer.finish()
        if !tail.isEmpty { text += tail; emit(.text(tail)) }
        stats.generatedTokens = output.count
        stats.tbtMilliseconds = Percentiles(gaps)
        if let lastCommit, output.count > 1 {
            let span = (lastCommit - started).milliseconds - stats.ttftMilliseconds
            stats.tokensPerSecond = span > 0 ? Double(output.count - 1) / (span / 1000) : 0
        }
        let result = CollaborationResult(text: text, tokens: output, provenance: provenance,
                                         finishReason: finishReason ?? "length", stats: stats)
        emit(.finished(result))
        return result
    }

    // MARK: - The device-led loop (device, speculative, tandem; cloud mode's fallback)

    func collaborate() async throws {
        while finishReason == nil {
            if Task.isCancelled { finishReason = "cancelled"; break }
            if inflight != nil {
                let mustWait = !options.stallFree || !mayDraft || speculated >= speculationLimit
                if mustWait || inflightDone!.isSet {
                    if !inflightDone!.isSet { pipeline() }
                    await resolveVerdict()
                    continue
                }
                try draftOne()
                pipeline()
                continue
            }
            // Nothing in flight: classify drafted tokens, maybe send a chunk.
            advance()
            if finishReason != nil || inflight != nil { continue }
            sync()
            if mayDraft {
                try draftOne()
                continue
            }
            // Cannot draft (stop token, length or context limit) and nothing to wait for:
            // advance() has committed or sent everything it could.
            if committed == tokens.count { finishReason = "length" } else { commit(.local) }
        }
        if let inflight { inflight.cancel(); _ = await inflight.value }
        dropPipelined()
        for task in abandoned { _ = await task.value }
        if let syncing { syncing.cancel(); await syncing.value }
        collectBytes()
    }

    /// Sends the committed tokens the cloud has not seen, when there are `syncThreshold` of
    /// them, nothing is open or in flight, and the cloud keeps context. The session takes
    /// them on while the device drafts, so the next verification carries only its chunk.
    func sync() {
        guard let threshold = syncThreshold, threshold > 0, cloudEnabled, policy.budget > 0, chunk == nil, inflight == nil,
              committed - cloudLength >= threshold, syncDone?.isSet ?? true,
              let cloud = decoder.cloud, cloud.keepsContext, let session else { return }
        let request = VerifyRequest(contextLength: cloudLength, append: Array(tokens[cloudLength..<committed]), draft: [],
                                    topK: 1, stallMilliseconds: deviceMillisecondsPerToken * Double(threshold))
        cloudLength = committed
        stats.uploadedTokens += request.append.count
        stats.syncCalls += 1
        let (previous, done, counter, timeout) = (syncing, DoneFlag(), byteCounter, options.timeout)
        syncDone = done
        syncing = Task {
            _ = await previous?.value
            defer { done.set() }
            guard case .success(let id) = await session.value else { return false }
            let began = ContinuousClock.now
            let exchange = try? await withTimeout(timeout) { try await cloud.verify(session: id, request) }
            counter.add(up: exchange?.bytesUp ?? 0, down: exchange?.bytesDown ?? 0, milliseconds: (ContinuousClock.now - began).milliseconds)
            return exchange != nil
        }
    }

    /// Committed tokens a sync carries (`CollaborationOptions.syncThreshold`); nil while it
    /// depends on the cloud's merge limit and the session has not answered yet.
    var syncThreshold: Int? {
        if let set = options.syncThreshold { return set }
        guard let stated = terms.value else { return nil }
        return stated.mergeLimit.map { max(1, $0 - 1) } ?? CollaborationOptions.fallbackSyncThreshold
    }

    /// Whether the device may draft another token: no stop token drafted yet and the
    /// length limit not reached.
    var mayDraft: Bool {
        if tokens.count > committed, stopTokens.contains(tokens[tokens.count - 1]) { return false }
        return tokens.count - promptCount < options.maxTokens && tokens.count < cache.maxLength
    }

    /// The device's compute per drafted token so far: how far off a stall is, for the
    /// cloud's scheduler.
    var deviceMillisecondsPerToken: Double { stats.deviceMilliseconds / Double(max(1, tokens.count - promptCount)) }

    /// Tokens drafted past the in-flight chunk.
    var speculated: Int { chunk.map { tokens.count - $0.end } ?? 0 }

    /// How far to draft past the in-flight chunk: `lookahead` when the chunk is likely enough
    /// to be accepted whole (product of the drafts' calibrated acceptance), else nothing.
    var speculationLimit: Int {
        guard let chunk else { return 0 }
        var accepted: Double = 1
        for i in chunk.start..<chunk.end { accepted *= Double(drafts[i - committed].signals.confidence) }
        return accepted >= options.minimumSpeculation ? options.lookahead : 0
    }

    /// One device step: feeds the tokens the cache lacks, drafts the next token.
    func draftOne() throws {
        let feed = Array(tokens[fed...])
        let begin = clock.now
        let sampling = options.sampling
        let recent = tokens.suffix(sampling.repetitionPenaltyWindow)
        let router = options.mode == .tokenRouting ? options.router : nil
        let ((token, signals, probability), hidden) = try device.forwardLast(feed, cache: cache, hiddenState: router != nil) {
            logits -> (TokenID, TokenSignals, Float) in
            if sampling.temperature == 0 {
                let token = Sampler.argmax(logits: UnsafeBufferPointer(logits))
                return (token, TokenSignals(logits: UnsafeBufferPointer(logits), chosen: Int(token)), 1)
            }
            let distribution = sampler.transformedDistribution(logits: UnsafeBufferPointer(logits), recentTokens: recent)
            let token = sampler.sample(from: distribution)
            return (token, TokenSignals(logits: UnsafeBufferPointer(logits), chosen: Int(token)), max(distribution.probability(of: token), 1e-6))
        }
        let risk = router.flatMap { r in hidden.map { r.score($0) } } ?? policy.risk(signals)
        let draft = Draft(signals: signals, probability: probability, risk: risk)
        stats.deviceMilliseconds += (clock.now - begin).milliseconds
        fed = tokens.count
        tokens.append(token)
        drafts.append(draft)
        if inflight == nil, let open = chunk, closedChunk(at: open.start) != nil { sendChunk() }
    }

    /// With nothing in flight: commits drafted tokens the policy keeps local, opens a chunk
    /// at the first risky one (budget permitting) and sends it once it is full.
    func advance() {
        precondition(inflight == nil)
        if chunk == nil {
            while committed < tokens.count && finishReason == nil {
                if opensChunk(at: committed, offloaded: stats.offloadedTokens) {
                    chunk = Chunk(start: committed, end: committed)
                    break
                }
                commit(.local)
            }
        }
        guard let open = chunk, finishReason == nil else { return }
        if let next = pipelined.first, next.chunk.start == open.start, closedChunk(at: open.start) == next.chunk {
            adopt(pipelined.removeFirst())
            return
        }
        dropPipelined()
        if closedChunk(at: open.start) != nil { sendChunk() }
    }

    /// Whether the drafted token at `position`, all before it final, opens a chunk: it is risky
    /// and the budget allows a chunk with `offloaded` tokens offloaded before it.
    func opensChunk(at position: Int, offloaded: Int) -> Bool {
        cloudEnabled && policy.isRisky(risk: drafts[position - committed].risk)
            && policy.allows(chunk: options.chunkSize, offloaded: offloaded, generated: position - promptCount)
    }

    /// The chunk a risky run opened at `start` becomes once it is closed (or drafting has
    /// stopped), ending early at a stop token; nil while the run may still grow.
    func closedChunk(at start: Int) -> Chunk? {
        let run = policy.chunkRun(maxLength: options.chunkSize, known: tokens.count - start) { drafts[start - committed + $0].risk }
        guard run.closed || (!mayDraft && run.length > 0) else { return nil }
        var end = start + run.length
        if let stop = tokens[start..<end].firstIndex(where: stopTokens.contains) { end = stop + 1 }
        return Chunk(start: start, end: end)
    }

    /// Sends the open chunk once its run is closed: its risky run (at most `chunkSize` tokens),
    /// ending at a stop token. Behind a sync still in flight it goes at once, queued in the
    /// session's line for the context the sync brings (a round trip sooner than after the
    /// sync's answer); if the sync fails, it is sent again as the sync's successor would be.
    func sendChunk() {
        guard let start = chunk?.start, let open = closedChunk(at: start), let cloud = decoder.cloud, let session else { return }
        chunk = open
        let request = verifyRequest(open, after: cloudLength)
        let context = Array(tokens[..<open.start])
        stats.offloadedTokens += open.end - open.start
        stats.uploadedTokens += request.append.count + request.draft.count
        stats.cloudCalls += 1
        let done = DoneFlag()
        let timeout = options.timeout
        let counter = byteCounter
        let previous = syncing
        let queued = previous != nil && !(syncDone?.isSet ?? true) ? verifyRequest(open, after: cloudLength, queued: true) : nil
        syncing = nil
        syncDone = nil
        inflightDone = done
        inflight = Task {
            defer { done.set() }
            if let queued, let previous {
                if let verdict = await DecodingRun.verify(queued, behind: previous, cloud: cloud, session: session, timeout: timeout, bytes: counter) {
                    return verdict
                }
                counter.add(up: 0, down: 0, milliseconds: 0, resent: true)
            } else {
                _ = await previous?.value
            }
            return await DecodingRun.verifyWithRecovery(cloud: cloud, session: session, request: request, context: context,
                                                        timeout: timeout, bytes: counter)
        }
    }

    /// A verification queued behind the sync in flight: its answer, or nil if the sync or the
    /// call failed (the call is cancelled and finished when this returns).
    static func verify(_ request: VerifyRequest, behind sync: Task<Bool, Never>, cloud: any CloudVerifier,
                       session: Task<Result<String, VerifierError>, Never>, timeout: Double, bytes: ByteCounter) async -> Verdict? {
        async let bet = verifyWithRecovery(cloud: cloud, session: session, request: request, context: [], timeout: timeout,
                                           bytes: bytes, recovering: false)
        guard await sync.value, case .success(let answer) = await bet else { return nil }
        return .success(answer)
    }

    /// The verification of `chunk` by a session holding `tokens[..<held]`. `queued`: it waits
    /// in the session's line until the session holds that context (checked by hash); with
    /// `afterChunk` it also bets on the free token after the chunk in flight before it.
    func verifyRequest(_ chunk: Chunk, after held: Int, queued: Bool = false, afterChunk: Bool = false) -> VerifyRequest {
        let probabilities: [Float]? = options.sampling.temperature > 0
            ? (chunk.start..<chunk.end).map { drafts[$0 - committed].probability } : nil
        return VerifyRequest(contextLength: held, append: Array(tokens[held..<chunk.start]), draft: Array(tokens[chunk.start..<chunk.end]),
                             draftProbabilities: probabilities, topK: 1,
                             stallMilliseconds: options.stallFree ? deviceMillisecondsPerToken * Double(speculationLimit) : 0,
                             queue: queued, contextHash: queued ? ContextHash.of(tokens[..<held]) : nil,
                             nextToken: afterChunk && options.sampling.temperature == 0 && held < chunk.start ? tokens[held] : nil)
    }

    // MARK: - Pipelining

    /// With a chunk in flight: sends the next chunk `advance()` would open if every chunk in
    /// flight were accepted whole, once its run is closed (at most `pipelineDepth` in flight).
    /// The scan mirrors `advance()`: the token after an accepted chunk is verified for free
    /// (greedy), then tokens are local until a risky one the budget allows, counting the
    /// chunks in flight as offloaded. Its request is queued behind theirs and states the
    /// context it assumes and the free token after it, so a lost bet is refused unread.
    func pipeline() {
        guard options.pipelineDepth > 1, options.stallFree, cloudEnabled, let head = chunk, inflight != nil,
              let cloud = decoder.cloud, cloud.keepsContext, let session else { return }
        while pipelined.count + 1 < options.pipelineDepth {
            let last = pipelined.last?.chunk ?? head
            var offloaded = stats.offloadedTokens
            for p in pipelined { offloaded += p.chunk.end - p.chunk.start }
            if tokens[last.start..<last.end].contains(where: stopTokens.contains) { return }
            var start = last.end + (options.sampling.temperature == 0 ? 1 : 0)
            while start < tokens.count && !opensChunk(at: start, offloaded: offloaded) {
                if stopTokens.contains(tokens[start]) { return }
                start += 1
            }
            guard start < tokens.count, start - promptCount < options.maxTokens, let next = closedChunk(at: start) else { return }
            let request = verifyRequest(next, after: last.end, queued: true, afterChunk: true)
            stats.uploadedTokens += request.append.count + request.draft.count
            stats.cloudCalls += 1
            stats.pipelinedCalls += 1
            let (timeout, counter) = (options.timeout, byteCounter)
            let task = Task<Verdict, Never> {
                await DecodingRun.verifyWithRecovery(cloud: cloud, session: session, request: request, context: [],
                                                            timeout: timeout, bytes: counter, recovering: false)
            }
            pipelined.append(Pipelined(chunk: next, task: task))
        }
    }

    /// Makes a pipelined chunk the one in flight (its bet held so far). If its answer is a
    /// failure (it reached the cloud out of order, a fault), the chunk is verified again as
    /// `sendChunk()` would have.
    func adopt(_ next: Pipelined) {
        guard let cloud = decoder.cloud, let session else { return }
        chunk = next.chunk
        stats.offloadedTokens += next.chunk.end - next.chunk.start
        let fallback = verifyRequest(next.chunk, after: cloudLength)
        let context = Array(tokens[..<next.chunk.start])
        let (done, timeout, counter) = (DoneFlag(), options.timeout, byteCounter)
        inflightDone = done
        inflight = Task {
            defer { done.set() }
            let verdict = await next.task.value
            if case .success = verdict { return verdict }
            counter.add(up: 0, down: 0, milliseconds: 0, resent: true)
            return await DecodingRun.verifyWithRecovery(cloud: cloud, session: session, request: fallback, context: context,
                                                        timeout: timeout, bytes: counter)
        }
    }

    /// Cancels the pipelined calls: a chunk before them was not accepted whole, or the
    /// generation ended.
    func dropPipelined() {
        for p in pipelined { p.task.cancel() }
        stats.droppedCalls += pipelined.count
        abandoned += pipelined.map(\.task)
        pipelined = []
    }

    /// Bytes and cloud time of calls made from tasks, collected into `stats` by the loop.
    let byteCounter = ByteCounter()

    /// Verify with one retry after a transient failure and one resync (new session with
    /// the final context) after an evicted or mismatched session; without `recovering`, one
    /// try (a pipelined bet, which the loop resends itself).
    static func verifyWithRecovery(cloud: any CloudVerifier, session: Task<Result<String, VerifierError>, Never>,
                                   request: VerifyRequest, context: [TokenID], timeout: Double,
                                   bytes: ByteCounter, recovering: Bool = true) async -> Verdict {
        var id: String
        switch await session.value {
        case .success(let value): id = value
        case .failure(let error): return .failure(error)
        }
        var request = request
        var retried = false, resynced = false
        while true {
            let began = ContinuousClock.now
            do {
                let (current, sent) = (id, request)
                let exchange = try await withTimeout(timeout) { try await cloud.verify(session: current, sent) }
                bytes.add(up: exchange.bytesUp, down: exchange.bytesDown, milliseconds: (ContinuousClock.now - began).milliseconds)
                return .success((exchange.response, id))
            } catch let error as VerifierError {
                bytes.add(up: 0, down: 0, milliseconds: (ContinuousClock.now - began).milliseconds)
                if Task.isCancelled || !recovering { return .failure(error) }
                if error.needsResync && !resynced {
                    resynced = true
                    do {
                        let created = try await withTimeout(timeout) { try await cloud.createSession(CreateSessionRequest(context: context)) }
                        bytes.add(up: created.bytesUp, down: created.bytesDown, milliseconds: 0, resync: true)
                        id = created.response.sessionID
                        request.contextLength = created.response.contextLength
                        request.append = []
                        continue
                    } catch let second as VerifierError {
                        return .failure(second)
                    } catch {
                        return .failure(.transport(String(describing: error)))
                    }
                }
                if !retried && !error.needsResync {
                    retried = true
                    try? await Task.sleep(for: .milliseconds(100))
                    continue
                }
                return .failure(error)
            } catch {
                return .failure(.transport(String(describing: error)))
            }
        }
    }

    /// Waits for the in-flight verdict and applies it.
    func resolveVerdict() async {
        guard let task = inflight, let open = chunk else { return }
        let verdict = await task.value
        inflight = nil
        inflightDone = nil
        let resyncs = collectBytes()
        if resyncs > 0 { warn("the cloud lost the session; resent the context") }
        chunk = nil
        switch verdict {
        case .success(let (response, id)):
            consecutiveFailures = 0
            if case .success(let current) = await session!.value, current != id {
                session = Task { .success(id) }
            }
            apply(response, chunk: open)
        case .failure(let error):
            consecutiveFailures += 1
            if case .failure = await session!.value { consecutiveFailures = 3 }
            dropPipelined()
            warn("verification failed (\(error)); kept the device's \(open.end - open.start) tokens unverified")
            for _ in open.start..<open.end { commit(.unverified) }
            stats.unverifiedTokens += open.end - open.start
            if error.needsResync || consecutiveFailures >= 3 {
                cloudEnabled = false
                warn("going on without the cloud")
            }
        }
    }

    func apply(_ response: VerifyResponse, chunk open: Chunk) {
        let accepted = min(max(0, response.accepted), open.end - open.start)
        for _ in 0..<accepted where finishReason == nil { commit(.verified) }
        cloudLength = response.contextLength
        guard finishReason == nil else { return }
        if let correction = response.correction {
            stats.rejections += 1
            replaceNext(with: correction, origin: .corrected)
            return
        }
        // Whole chunk accepted: greedy, the cloud's top token after it is the token the
        // cloud itself would write next, so it is final too (a free verification).
        guard options.sampling.temperature == 0, accepted < response.positions.count,
              let next = response.positions[accepted].top.first?.id else { return }
        // Draft that position if it is not yet (stall-free off, or no speculation), so the
        // provenance does not depend on timing.
        if committed == tokens.count && mayDraft { try? draftOne() }
        if committed < tokens.count && tokens[committed] == next {
            commit(.verified)
        } else {
            replaceNext(with: next, origin: committed < tokens.count ? .corrected : .cloud)
        }
    }

    /// Replaces `tokens[committed]` and everything drafted after it by `token` (or appends
    /// it when nothing is drafted), rolls the device cache back, and commits it.
    func replaceNext(with token: TokenID, origin: Provenance) {
        let position = committed
        dropPipelined()
        stats.wastedDraftTokens += tokens.count - position
        tokens.removeSubrange(position...)
        drafts.removeAll()
        tokens.append(token)
        drafts.append(Draft(signals: TokenSignals(confidence: 1, entropy: 0, margin: 1), probability: 1, risk: 0))
        if fed > position {
            cache.truncate(to: position)
            fed = position
        }
        commit(origin)
    }

    /// Makes `tokens[committed]` final and streams it; a stop token or the length limit
    /// ends the generation.
    func commit(_ origin: Provenance) {
        let token = tokens[committed]
        committed += 1
        drafts.removeFirst()
        if stopTokens.contains(token) {
            finishReason = "stop"
            return
        }
        output.append(token)
        provenance.append(origin)
        let now = clock.now
        if let lastCommit { gaps.append((now - lastCommit).milliseconds) } else { stats.ttftMilliseconds = (now - started).milliseconds }
        lastCommit = now
        emit(.token(token, origin))
        if let piece = try? detokenizer.append(token), !piece.isEmpty {
            text += piece
            emit(.text(piece))
        }
        if generatedCommitted >= options.maxTokens { finishReason = "length" }
    }

    func warn(_ message: String) {
        stats.warnings.append(message)
        emit(.warning(message))
    }

    // MARK: - Cloud session

    func openSession(context: [TokenID]) {
        guard let cloud = decoder.cloud else { return }
        let sampling = options.sampling
        let request = CreateSessionRequest(context: context, sampling: SamplingOptions(
            temperature: sampling.temperature, topP: sampling.topP, topK: sampling.topK, seed: sampling.seed))
        let (timeout, counter, terms) = (options.timeout, byteCounter, terms)
        session = Task {
            do {
                let exchange = try await withTimeout(timeout) { try await cloud.createSession(request) }
                counter.add(up: exchange.bytesUp, down: exchange.bytesDown, milliseconds: 0)
                terms.record(SessionTerms.Stated(mergeLimit: exchange.response.mergeLimit))
                return .success(exchange.response.sessionID)
            } catch let error as VerifierError {
                return .failure(error)
            } catch {
                return .failure(.transport(String(describing: error)))
            }
        }
        cloudLength = context.count
        stats.uploadedTokens += context.count
    }

    // MARK: - Cloud mode

    /// The cloud writes everything, `cloudStep` tokens per call; on failure the device
    /// takes over from the committed tokens.
    func cloudOnly() async throws {
        guard let cloud = decoder.cloud, let session else { return }
        let id: String
        switch await session.value {
        case .success(let value): id = value
        case .failure(let error):
            warn("cloud unavailable (\(error)); the device writes alone")
            cloudEnabled = false
            return
        }
        collectBytes()
        while finishReason == nil {
            if Task.isCancelled { finishReason = "cancelled"; return }
            let remaining = options.maxTokens - generatedCommitted
            let request = SessionGenerateRequest(contextLength: cloudLength, append: Array(tokens[cloudLength..<committed]),
                                                 maxTokens: min(options.cloudStep, remaining), stopTokens: Array(stopTokens))
            let began = clock.now
            stats.cloudCalls += 1
            stats.uploadedTokens += request.append.count
            do {
                // The cloud computes every requested token before it answers: allow a second each.
                let exchange = try await withTimeout(options.timeout + Double(request.maxTokens)) {
                    try await cloud.generate(session: id, request)
                }
                stats.cloudMilliseconds += (clock.now - began).milliseconds
                stats.bytesUp += exchange.bytesUp
                stats.bytesDown += exchange.bytesDown
                stats.offloadedTokens += exchange.response.tokens.count
                cloudLength = exchange.response.contextLength
                for token in exchange.response.tokens where finishReason == nil {
                    tokens.append(token)
                    drafts.append(Draft(signals: TokenSignals(confidence: 1, entropy: 0, margin: 1), probability: 1, risk: 0))
                    commit(.cloud)
                }
                if finishReason == nil && exchange.response.finishReason != "length" { finishReason = "stop" }
            } catch {
                stats.cloudMilliseconds += (clock.now - began).milliseconds
                warn("cloud generation failed (\(error)); the device writes the rest")
                cloudEnabled = false
                return
            }
        }
    }

    /// Moves what the tasks counted into `stats`; returns the resyncs among them.
    @discardableResult
    func collectBytes() -> Int {
        let totals = byteCounter.drain()
        stats.bytesUp += totals.up
        stats.bytesDown += totals.down
        stats.cloudMilliseconds += totals.milliseconds
        stats.cloudCalls += totals.resent
        stats.droppedCalls += totals.resent
        return totals.resyncs
    }
}

extension Duration {
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) * 1e-15
    }
}
