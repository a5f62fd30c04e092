/// What a forward call should return for each new token of a sequence.
public struct OutputRequest: Sendable, Equatable {
    /// Which of the sequence's new tokens get outputs.
    public enum Rows: Sendable, Equatable {
        case none
        /// Every new token (scoring).
        case all
        /// The last `k` new tokens (a verification: its draft and the position before it,
        /// not the context that rides along).
        case tail(Int)

        /// Only the last new token (prefill, decode).
        public static let last = Rows.tail(1)
    }

    /// How much of the next-token distribution to return.
    public enum Distribution: Sendable, Equatable {
        case none
        /// The `k` most likely tokens with their log-probabilities, most likely first.
        case topK(Int)
        /// Log-probabilities of every token (log-softmax of the logits).
        case fullLogProbs
        /// The raw logits of every token (for samplers).
        case logits
    }

    public var rows: Rows
    public var distribution: Distribution
    /// Also return the final hidden state (after the output norm, the head's input).
    public var hiddenState: Bool
    /// Also return the residual stream after these blocks (0-based), e.g. for early exit:
    /// `Engine.distribution(fromLayerOutput:)` applies the output norm and head to it.
    public var layerOutputs: [Int]
    /// Also return attention importance summed over the heads of these blocks (0-based).
    public var attentionLayers: [Int]

    public init(rows: Rows = .last, distribution: Distribution = .topK(1), hiddenState: Bool = false,
                layerOutputs: [Int] = [], attentionLayers: [Int] = []) {
        self.rows = rows
        self.distribution = distribution
        self.hiddenState = hiddenState
        self.layerOutputs = layerOutputs
        self.attentionLayers = attentionLayers
    }

    /// Nothing back: just fill the cache.
    public static let cacheOnly = OutputRequest(rows: .none, distribution: .none)
}

/// One sequence's part of a batched forward call: new tokens appended to its cache.
public struct SequenceInput: @unchecked Sendable {
    public var cache: KVCache
    public var tokens: [TokenID]
    public var outputs: OutputRequest

    public init(cache: KVCache, tokens: [TokenID], outputs: OutputRequest = OutputRequest()) {
        self.cache = cache
        self.tokens = tokens
        self.outputs = outputs
    }
}

/// A token id with its log-probability.
public struct TokenLogProb: Sendable, Equatable, Codable {
    public var id: TokenID
    public var logProb: Float

    public init(id: TokenID, logProb: Float) {
        self.id = id
        self.logProb = logProb
    }
}

/// What came back for one new token.
public struct TokenOutput: Sendable {
    /// Index of the token among the sequence's new tokens.
    public var index: Int
    /// Absolute position of the token in its sequence.
    public var position: Int
    /// Most likely next tokens (`.topK`), most likely first.
    public var top: [TokenLogProb] = []
    /// Every token's log-probability (`.fullLogProbs`) or raw logit (`.logits`).
    public var distribution: [Float]?
    /// The final hidden state (after the output norm).
    public var hiddenState: [Float]?
    /// The residual stream after each requested block, in `layerOutputs` order.
    public var layerOutputs: [[Float]] = []
}

/// What came back for one sequence.
public struct SequenceOutput: Sendable {
    public var tokens: [TokenOutput]
    /// Attention mass each cached position received from the new tokens, summed over the
    /// heads of the requested layers (length = cache length after the call); nil if not asked.
    public var attentionImportance: [Float]?
}
