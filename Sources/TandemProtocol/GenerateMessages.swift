/// `POST /tandem/v1/sessions/{id}/generate`: the cloud writes up to `max_tokens` tokens after
/// the session's context (cloud-only mode, token routing). Context rules as for verify.
public struct SessionGenerateRequest: Codable, Sendable, Equatable {
    public var contextLength: Int
    public var append: [Int32]
    /// At least 1.
    public var maxTokens: Int
    /// Tokens that end generation (not returned, not added). Absent: the model's
    /// end-of-generation tokens.
    public var stopTokens: [Int32]?

    public init(contextLength: Int, append: [Int32] = [], maxTokens: Int, stopTokens: [Int32]? = nil) {
        self.contextLength = contextLength
        self.append = append
        self.maxTokens = maxTokens
        self.stopTokens = stopTokens
    }

    enum CodingKeys: String, CodingKey {
        case append
        case contextLength = "context_length"
        case maxTokens = "max_tokens"
        case stopTokens = "stop_tokens"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        contextLength = try c.decode(Int.self, forKey: .contextLength)
        append = try c.decodeIfPresent([Int32].self, forKey: .append) ?? []
        maxTokens = try c.decode(Int.self, forKey: .maxTokens)
        stopTokens = try c.decodeIfPresent([Int32].self, forKey: .stopTokens)
    }
}

/// What the cloud wrote; every returned token is now part of the session's context.
public struct SessionGenerateResponse: Codable, Sendable, Equatable {
    public var tokens: [Int32]
    /// `stop` (a stop token), `length` (max_tokens) or `context_full`.
    public var finishReason: String
    public var contextLength: Int

    public init(tokens: [Int32], finishReason: String, contextLength: Int) {
        self.tokens = tokens
        self.finishReason = finishReason
        self.contextLength = contextLength
    }

    enum CodingKeys: String, CodingKey {
        case tokens
        case finishReason = "finish_reason"
        case contextLength = "context_length"
    }
}
