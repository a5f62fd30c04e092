/// How long one generation took, split like llama.cpp's timings (`prompt_n`, `prompt_ms`,
/// `predicted_n`, `predicted_ms`): processing the prompt, then producing new tokens.
///
/// Durations are wall-clock milliseconds. The rates are derived, not stored; they are nil when
/// the matching duration is not positive. Encoded with the four measured fields plus the two
/// rates (when defined); decoding reads only the measured fields.
public struct GenerationTimings: Sendable, Codable, Hashable {
    /// Prompt tokens run through the model (those already in a reused cache are not counted).
    public var promptTokens: Int
    /// Time to process them, up to the logits of the first new token.
    public var promptMilliseconds: Double
    /// New tokens produced (a stop token counts: it was computed).
    public var generatedTokens: Int
    /// Time from the end of prompt processing to the last new token.
    public var generationMilliseconds: Double

    public init(promptTokens: Int, promptMilliseconds: Double, generatedTokens: Int, generationMilliseconds: Double) {
        self.promptTokens = promptTokens
        self.promptMilliseconds = promptMilliseconds
        self.generatedTokens = generatedTokens
        self.generationMilliseconds = generationMilliseconds
    }

    /// Timings from `Duration`s, as measured with `ContinuousClock`.
    public init(promptTokens: Int, promptDuration: Duration, generatedTokens: Int, generationDuration: Duration) {
        self.init(promptTokens: promptTokens, promptMilliseconds: Self.milliseconds(promptDuration),
                  generatedTokens: generatedTokens, generationMilliseconds: Self.milliseconds(generationDuration))
    }

    /// Prompt processing speed in tokens per second; nil when `promptMilliseconds` ≤ 0.
    public var promptTokensPerSecond: Double? {
        promptMilliseconds > 0 ? Double(promptTokens) * 1000 / promptMilliseconds : nil
    }

    /// Generation speed in tokens per second; nil when `generationMilliseconds` ≤ 0.
    public var generationTokensPerSecond: Double? {
        generationMilliseconds > 0 ? Double(generatedTokens) * 1000 / generationMilliseconds : nil
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey {
        case promptTokens, promptMilliseconds, generatedTokens, generationMilliseconds
        case promptTokensPerSecond, generationTokensPerSecond
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(promptTokens: try container.decode(Int.self, forKey: .promptTokens),
                  promptMilliseconds: try container.decode(Double.self, forKey: .promptMilliseconds),
                  generatedTokens: try container.decode(Int.self, forKey: .generatedTokens),
                  generationMilliseconds: try container.decode(Double.self, forKey: .generationMilliseconds))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(promptTokens, forKey: .promptTokens)
        try container.encode(promptMilliseconds, forKey: .promptMilliseconds)
        try container.encode(generatedTokens, forKey: .generatedTokens)
        try container.encode(generationMilliseconds, forKey: .generationMilliseconds)
        try container.encodeIfPresent(promptTokensPerSecond, forKey: .promptTokensPerSecond)
        try container.encodeIfPresent(generationTokensPerSecond, forKey: .generationTokensPerSecond)
    }
}
