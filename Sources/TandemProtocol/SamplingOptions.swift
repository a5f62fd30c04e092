/// How the cloud chooses tokens for a session: greedy unless `temperature` > 0.
///
/// Fixed when the session is created; the session keeps one seeded random stream, so the same
/// requests in the same order give the same answers.
public struct SamplingOptions: Codable, Sendable, Equatable {
    /// 0 = greedy (argmax). Range: finite, ≥ 0.
    public var temperature: Float
    /// Nucleus threshold, 1 = off. Range: (0, 1].
    public var topP: Float
    /// Keep only the k most likely tokens, 0 = off. Range: ≥ 0.
    public var topK: Int
    /// Seed of the session's random stream.
    public var seed: UInt64

    public init(temperature: Float = 0, topP: Float = 1, topK: Int = 0, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.seed = seed
    }

    public static let greedy = SamplingOptions()

    enum CodingKeys: String, CodingKey {
        case temperature, seed
        case topP = "top_p"
        case topK = "top_k"
    }

    /// Every field is optional on the wire; absent fields take the greedy defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(temperature: try c.decodeIfPresent(Float.self, forKey: .temperature) ?? 0,
                  topP: try c.decodeIfPresent(Float.self, forKey: .topP) ?? 1,
                  topK: try c.decodeIfPresent(Int.self, forKey: .topK) ?? 0,
                  seed: try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0)
    }
}
