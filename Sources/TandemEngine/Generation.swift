import Foundation
import TandemTokenizer

/// What to generate: a prompt, how to choose tokens, and when to stop.
public struct GenerationRequest: Sendable {
    public var prompt: [TokenID]
    /// Most tokens to generate (stop tokens not counted).
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Tokens that end generation (not emitted). Default: the model's end-of-generation
    /// tokens (`StopCondition(endOfGenerationOf:)`, e.g. `<|im_end|>` and `<|endoftext|>`).
    public var stopTokens: Set<TokenID>?
    /// Strings that end generation when they appear in the text (not emitted).
    public var stopStrings: [String]

    public init(prompt: [TokenID], maxTokens: Int = 256, sampling: SamplingParameters = .greedy,
                stopTokens: Set<TokenID>? = nil, stopStrings: [String] = []) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopTokens = stopTokens
        self.stopStrings = stopStrings
    }
}

/// One event of a generation stream.
public enum GenerationEvent: Sendable, Equatable {
    /// A token was generated (and appended to the cache).
    case token(TokenID)
    /// Text that is final: whole UTF-8 characters, with any possible stop-string prefix held back.
    case text(String)
    /// The end, always the last event unless the stream throws.
    case finished(FinishReason, GenerationTimings)
}

extension Engine {
    /// Generates from `request.prompt` as an `AsyncThrowingStream` of events.
    ///
    /// The loop checks for cancellation before every step; cancelling the consuming task
    /// or dropping the stream stops it promptly (finish reason `.cancelled` when anyone
    /// is still listening). Engine errors (context full, bad ids) end the stream with an
    /// error; running into the cache limit while generating finishes with `.contextFull`.
    /// - Parameter cache: continue this cache (the prompt is appended to it); nil starts fresh.
    public func generate(_ request: GenerationRequest, cache: KVCache? = nil) -> AsyncThrowingStream<GenerationEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Task.detached { [self] in
                do {
                    try runGeneration(request, cache: cache ?? makeCache()) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The generation loop, synchronous; `emit` receives every event in order.
    public func runGeneration(_ request: GenerationRequest, cache: KVCache, emit: (GenerationEvent) -> Void) throws {
        guard !request.prompt.isEmpty else { throw EngineError.invalidRequest("the prompt is empty") }
        guard request.maxTokens >= 0 else { throw EngineError.invalidRequest("maxTokens must not be negative") }
        var sampler = try Sampler(parameters: request.sampling)
        let stopTokens = request.stopTokens ?? StopCondition(endOfGenerationOf: tokenizer).tokenIDs
        var stopMatcher = try StopMatcher(stopStrings: request.stopStrings)
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        let clock = ContinuousClock()
        let started = clock.now
        var history = request.prompt
        var next = try forwardLast(request.prompt, cache: cache) { sampler.sample(logits: $0, recentTokens: request.prompt) }
        let promptDone = clock.now
        var generated = 0
        func finish(_ reason: FinishReason) {
            let tail = detokenizer.finish()
            let released = reason == .stopString ? "" : stopMatcher.append(tail).emit + stopMatcher.flush()
            if !released.isEmpty { emit(.text(released)) }
            emit(.finished(reason, GenerationTimings(
                promptTokens: request.prompt.count, promptDuration: promptDone - started,
                generatedTokens: generated, generationDuration: clock.now - promptDone)))
        }
        while true {
            if Task.isCancelled { return finish(.cancelled) }
            if stopTokens.contains(next) { return finish(.stop) }
            if generated >= request.maxTokens { return finish(.length) }
            generated += 1
            history.append(next)
            emit(.token(next))
            let piece = try detokenizer.append(next)
            let (text, stopped) = stopMatcher.append(piece)
            if !text.isEmpty { emit(.text(text)) }
            if stopped { return finish(.stopString) }
            if generated >= request.maxTokens { return finish(.length) }
            if cache.length + 1 > cache.maxLength { return finish(.contextFull) }
            let window = history.suffix(request.sampling.repetitionPenaltyWindow)
            next = try forwardLast([next], cache: cache) { sampler.sample(logits: $0, recentTokens: window) }
        }
    }
}
