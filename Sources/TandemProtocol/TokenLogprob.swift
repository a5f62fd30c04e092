/// A token id with its natural-log probability, encoded compactly as `[id, logprob]`.
public struct TokenLogprob: Codable, Sendable, Equatable {
    public var id: Int32
    public var logprob: Float

    public init(id: Int32, logprob: Float) {
        self.id = id
        self.logprob = logprob
    }

    public init(from decoder: any Decoder) throws {
        (id, logprob) = try TokenPair.decode(decoder, shape: "[id, logprob]")
    }

    public func encode(to encoder: any Encoder) throws {
        try TokenPair.encode(encoder, id, logprob)
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
        (id, probability) = try TokenPair.decode(decoder, shape: "[id, p]")
    }

    public func encode(to encoder: any Encoder) throws {
        try TokenPair.encode(encoder, id, probability)
    }
}

/// The two-element array both pairs use on the wire.
enum TokenPair {
    static func decode(_ decoder: any Decoder, shape: String) throws -> (Int32, Float) {
        var c = try decoder.unkeyedContainer()
        let id = try c.decode(Int32.self)
        let value = try c.decode(Float.self)
        guard c.isAtEnd else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected \(shape)") }
        return (id, value)
    }

    static func encode(_ encoder: any Encoder, _ id: Int32, _ value: Float) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(id)
        try c.encode(value)
    }
}
