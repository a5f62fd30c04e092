import TandemEngine
import TandemProtocol

/// The log-probability the model gave one prompt token, given the tokens before it.
public struct PromptTokenLogprob: Sendable, Equatable {
    /// Index of the token in the prompt.
    public var index: Int
    public var token: TokenID
    public var logprob: Float
    /// 1 = the model's most likely token.
    public var rank: Int
    /// The model's most likely tokens at this position.
    public var top: [TokenLogprob]
}

/// One generated token with the model's log-probability of it (plain softmax) and the most
/// likely alternatives (when asked).
public struct GeneratedToken: Sendable, Equatable {
    public var id: TokenID
    public var logprob: Float
    public var top: [TokenLogprob]
}

/// Why a cloud generation ended.
public enum CloudFinishReason: String, Sendable, Equatable {
    /// A stop token (not emitted).
    case stop
    /// `maxTokens` reached.
    case length
    /// The model's context is full.
    case contextFull = "context_full"
}

/// A generation's stream: prompt log-probabilities (in pieces, in order), tokens, the end.
public enum CloudGenerationEvent: Sendable, Equatable {
    case promptLogprobs([PromptTokenLogprob])
    case token(GeneratedToken)
    case finished(CloudFinishReason)
}

/// What to generate, for `CloudService.generate(_:)`.
public struct CloudGenerationRequest: Sendable {
    public var prompt: [TokenID]
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Default: the model's end-of-generation tokens.
    public var stopTokens: Set<TokenID>?
    /// Alternatives returned per generated token (0 = none).
    public var topLogprobs: Int
    /// When set, return log-probabilities of the prompt tokens from this index on (≥ 1; the
    /// first token has none), each with this many alternatives.
    public var promptLogprobsFrom: Int?
    public var promptTopK: Int

    public init(prompt: [TokenID], maxTokens: Int, sampling: SamplingParameters = .greedy, stopTokens: Set<TokenID>? = nil,
                topLogprobs: Int = 0, promptLogprobsFrom: Int? = nil, promptTopK: Int = 0) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopTokens = stopTokens
        self.topLogprobs = topLogprobs
        self.promptLogprobsFrom = promptLogprobsFrom
        self.promptTopK = promptTopK
    }
}

/// A running generation: its events (an `AsyncSequence`), and `cancel()` to stop the cloud's
/// work at once. Dropping every copy of the stream also cancels it, but a copy held elsewhere
/// (say, by a response body) keeps it alive; `cancel()` does not wait for that.
public struct CloudGeneration: AsyncSequence, Sendable {
    public typealias Element = CloudGenerationEvent
    public let events: AsyncThrowingStream<CloudGenerationEvent, any Error>
    let onCancel: @Sendable () -> Void

    public func makeAsyncIterator() -> AsyncThrowingStream<CloudGenerationEvent, any Error>.Iterator {
        events.makeAsyncIterator()
    }

    /// Stops the work (nothing happens when it has finished).
    public func cancel() { onCancel() }
}
