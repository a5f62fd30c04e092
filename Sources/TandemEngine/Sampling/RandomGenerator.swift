/// The seeded pseudo-random generator behind sampling: xoshiro256** 1.0 (Blackman and Vigna,
/// "Scrambled linear pseudorandom number generators", 2021), seeded through SplitMix64.
///
/// Same seed, same sequence, on every platform and Swift version: the algorithm is written out
/// here, not taken from the standard library (whose `random(in:using:)` algorithms are not
/// promised to stay the same). The 256-bit state is the four outputs of SplitMix64 started at
/// `seed`, as the xoshiro authors recommend; it is never all zero.
///
/// A value type: copying it forks the stream, and restoring a saved copy replays the same
/// draws (how a speculative branch that gets discarded gives back its randomness).
/// Not cryptographically secure.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Equatable, Codable {
    /// The generator state, s[0] ... s[3] of the reference implementation.
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose state is SplitMix64's first four outputs from `seed`.
    public init(seed: UInt64) {
        var splitMix = SplitMix64(state: seed)
        state = (splitMix.next(), splitMix.next(), splitMix.next(), splitMix.next())
    }

    /// The next 64 random bits (xoshiro256** `next()`).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, by: 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotateLeft(state.3, by: 45)
        return result
    }

    /// A uniform double in [0, 1): the top 53 bits of `next()` times 2⁻⁵³. One draw.
    public mutating func nextUnitInterval() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    private func rotateLeft(_ value: UInt64, by amount: UInt64) -> UInt64 {
        (value << amount) | (value >> (64 &- amount))
    }

    // Tuples are neither Equatable nor Codable; these spell out the four words.

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.state == rhs.state
    }

    /// Encoded as an array of the four state words.
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let words = (try container.decode(UInt64.self), try container.decode(UInt64.self),
                     try container.decode(UInt64.self), try container.decode(UInt64.self))
        guard words != (0, 0, 0, 0) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "xoshiro256** state must not be all zero"))
        }
        state = words
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(state.0)
        try container.encode(state.1)
        try container.encode(state.2)
        try container.encode(state.3)
    }
}

/// SplitMix64 (Steele, Lea and Flood, 2014; Vigna's reference `splitmix64.c`): expands one
/// 64-bit seed into well-mixed words for seeding `Xoshiro256StarStar`.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable, Codable {
    /// The counter; each call adds the golden-ratio increment 0x9E3779B97F4A7C15.
    public var state: UInt64

    public init(state: UInt64) {
        self.state = state
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
