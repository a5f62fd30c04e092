/// How the next token is chosen from a model's logits.
///
/// Every filter has an "off" value and the defaults are all off, so `SamplingParameters()` is
/// greedy decoding and `SamplingParameters(temperature: 0.7)` is plain temperature sampling.
/// `Sampler` applies them in llama.cpp's default chain order:
/// repetition penalty → top-k → top-p → min-p → temperature → draw (see `Sampler`).
///
/// `validate()` checks the ranges; `Sampler.init` and decoding call it, so a `Sampler` never
/// runs with invalid values. Encoded with every field present (no defaults are filled in
/// when decoding).
public struct SamplingParameters: Sendable, Codable, Hashable {
    /// Divides the logits of the surviving candidates before the draw. 0 = greedy (argmax,
    /// no randomness); 1 = the model's own distribution. Range: finite, ≥ 0.
    public var temperature: Float
    /// Keep only the `topK` most likely tokens. 0 = off. Range: ≥ 0.
    public var topK: Int
    /// Nucleus sampling (Holtzman et al. 2020): keep the smallest set of most likely tokens
    /// whose probability sums to at least `topP`. 1 = off. Range: (0, 1].
    public var topP: Float
    /// Keep tokens whose probability is at least `minP` × the most likely token's. 0 = off.
    /// Range: [0, 1].
    public var minP: Float
    /// llama.cpp's `repeat_penalty`: a token among the last `repetitionPenaltyWindow` recent
    /// tokens has a positive logit divided by this and a negative one multiplied by it, once
    /// however often it occurs. 1 = off; > 1 discourages repetition. Range: finite, > 0.
    public var repetitionPenalty: Float
    /// llama.cpp's `penalty_last_n`: how many of the most recent tokens the penalty looks at.
    /// 0 = penalty off; `Int.max` = all the recent tokens the caller passes. Range: ≥ 0.
    public var repetitionPenaltyWindow: Int
    /// Seed of the sampler's `Xoshiro256StarStar`; the same seed and logits give the same tokens.
    public var seed: UInt64

    /// Parameters with every filter off unless given; see each property for its range.
    /// Does not validate: call `validate()` or let `Sampler.init` do it.
    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, minP: Float = 0,
                repetitionPenalty: Float = 1, repetitionPenaltyWindow: Int = 64, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionPenaltyWindow = repetitionPenaltyWindow
        self.seed = seed
    }

    /// Argmax decoding: temperature 0, no filters, no penalty.
    public static let greedy = SamplingParameters()

    /// llama.cpp's command-line defaults (`common_params_sampling`): temperature 0.8, top-k 40,
    /// top-p 0.95, min-p 0.05, no repetition penalty (window 64).
    public static func llamaCppDefaults(seed: UInt64) -> SamplingParameters {
        SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, seed: seed)
    }

    /// True when the next token is the argmax (temperature 0): no randomness is used.
    public var isGreedy: Bool { temperature == 0 }

    /// True when the repetition penalty changes any logit.
    public var penalisesRepetition: Bool { repetitionPenalty != 1 && repetitionPenaltyWindow > 0 }

    /// Checks every range; throws the first violation, in declaration order.
    public func validate() throws(SamplingError) {
        guard temperature.isFinite, temperature >= 0 else { throw .temperatureOutOfRange(temperature) }
        guard topK >= 0 else { throw .topKOutOfRange(topK) }
        guard topP > 0, topP <= 1 else { throw .topPOutOfRange(topP) }
        guard minP >= 0, minP <= 1 else { throw .minPOutOfRange(minP) }
        guard repetitionPenalty.isFinite, repetitionPenalty > 0 else {
            throw .repetitionPenaltyOutOfRange(repetitionPenalty)
        }
        guard repetitionPenaltyWindow >= 0 else { throw .repetitionPenaltyWindowOutOfRange(repetitionPenaltyWindow) }
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey {
        case temperature, topK, topP, minP, repetitionPenalty, repetitionPenaltyWindow, seed
    }

    /// Decodes every field (all are required) and validates; an invalid value is a
    /// `DecodingError.dataCorrupted` whose underlying error is the `SamplingError`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(temperature: try container.decode(Float.self, forKey: .temperature),
                  topK: try container.decode(Int.self, forKey: .topK),
                  topP: try container.decode(Float.self, forKey: .topP),
                  minP: try container.decode(Float.self, forKey: .minP),
                  repetitionPenalty: try container.decode(Float.self, forKey: .repetitionPenalty),
                  repetitionPenaltyWindow: try container.decode(Int.self, forKey: .repetitionPenaltyWindow),
                  seed: try container.decode(UInt64.self, forKey: .seed))
        do {
            try validate()
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: error.description, underlyingError: error))
        }
    }
}
