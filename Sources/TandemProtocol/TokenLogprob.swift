/// A token id with its natural-log probability, encoded compactly as `[id, logprob]`.
public struct TokenLogprob: Codable, Sendable, Equatable {
    public var id: Int32
    public var logprob: Float

    public init(id: Int32, logprob: Float) {
        self.id = id
        self.logprob = logprob
    }

    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        id = try c.decode(Int32.self)
        logprob = try c.decode(Float.self)
        guard c.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a token log-probability is [id, logprob]")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(id)
        try c.encode(logprob)
    }
}

/// A token id with its probability (not log), encoded as `[id, p]`; the entries of a
/// device's sparse draft distribution.
public struct TokenProbability: Codable, Sendable, Equatable {
    public var id: Int32
    public var probability: Float

    public init(id: Int32, probability: Float) {
        self.id = id
        self.probability = probability
    }

    public init(from decoder: any Decoder) throws {
        var c = try decoder.unkeyedContainer()
        id = try c.decode(Int32.self)
        probability = try c.decode(Float.self)
        guard c.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a token probability is [id, p]")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(id)
        try c.encode(probability)
    }
}
