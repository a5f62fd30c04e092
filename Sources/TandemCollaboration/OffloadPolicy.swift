import Foundation

/// What the device knows about one drafted token when it decides whether to offload it.
public struct TokenSignals: Sendable, Equatable, Codable {
    /// Probability the device model gives the token it chose (softmax at temperature 1).
    public var confidence: Float
    /// Entropy of the device's next-token distribution, in nats.
    public var entropy: Float
    /// Top-1 minus top-2 probability.
    public var margin: Float

    public init(confidence: Float, entropy: Float, margin: Float) {
        self.confidence = confidence
        self.entropy = entropy
        self.margin = margin
    }

    /// From a row of raw logits and the chosen token.
    public init(logits: UnsafeBufferPointer<Float>, chosen: Int) {
        var first = -Float.infinity, second = -Float.infinity
        for value in logits {
            if value > first { second = first; first = value } else if value > second { second = value }
        }
        var sum: Double = 0, weighted: Double = 0
        for value in logits {
            let shifted = Double(value - first)
            let e = exp(shifted)
            sum += e
            weighted += e * shifted
        }
        let logSum = log(sum)
        confidence = Float(exp(Double(logits[chosen] - first) - logSum))
        entropy = Float(logSum - weighted / sum)
        margin = Float((1 - exp(Double(second - first))) / sum)
    }
}

/// Which drafted tokens are risky enough to verify, and how many may be offloaded.
///
/// A token is risky when its risk, `1 − confidence`, reaches `riskThreshold`, i.e. when the
/// device's confidence is at most `1 − riskThreshold`. `budget` caps the share of generated
/// tokens sent for verification: a leaky bucket that holds `burst` tokens of credit, so one
/// answer may run up to `burst` tokens ahead of its share (the opening of an answer is
/// where the device is least sure) but no further. The threshold comes from a calibration
/// run (`tandem profile`, which simulates the same cap) for a chosen budget; the defaults
/// are only a starting point.
public struct OffloadPolicy: Sendable, Equatable, Codable {
    public var riskThreshold: Float
    public var budget: Double
    /// Tokens of credit in the budget's bucket (at least one chunk is always allowed).
    public var burst: Int

    /// The default credit: eight chunks of four. With one chunk of credit the cap turned
    /// away a risky chunk on most answers' first lines, where the device hesitates most;
    /// on the arithmetic profile that left 20 % of disagreements unchecked at a 25 % budget
    /// against 6 % with 32 tokens (`tandem profile` reports the figure for its data).
    public static let defaultBurst = 32

    public init(riskThreshold: Float = 0.5, budget: Double = 0.25, burst: Int = OffloadPolicy.defaultBurst) {
        self.riskThreshold = riskThreshold
        self.budget = budget
        self.burst = burst
    }

    enum CodingKeys: String, CodingKey { case riskThreshold, budget, burst }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        riskThreshold = try container.decode(Float.self, forKey: .riskThreshold)
        budget = try container.decode(Double.self, forKey: .budget)
        burst = try container.decodeIfPresent(Int.self, forKey: .burst) ?? Self.defaultBurst
    }

    /// Every token is risky, no cap (speculative decoding).
    public static let everything = OffloadPolicy(riskThreshold: 0, budget: 1)
    /// Nothing is offloaded (device only).
    public static let nothing = OffloadPolicy(riskThreshold: 2, budget: 0)

    public func risk(_ signals: TokenSignals) -> Float { 1 - signals.confidence }

    public func isRisky(_ signals: TokenSignals) -> Bool { isRisky(risk: risk(signals)) }

    /// Whether a risk from any scorer (1 − confidence, a token router) reaches the threshold.
    public func isRisky(risk: Float) -> Bool { risk >= riskThreshold }

    /// The chunk a risky token opens: that token and the risky tokens right after it, at most
    /// `maxLength` in all, so the budget goes to risky tokens rather than to their neighbours.
    /// `risk(i)` is the risk of the i-th of the `known` tokens from the chunk's start. Returns
    /// the run's length among them and whether it is closed: it reached `maxLength`, or a
    /// token that is not risky follows it (an open run may still grow as tokens are drafted).
    public func chunkRun(maxLength: Int, known: Int, risk: (Int) -> Float) -> (length: Int, closed: Bool) {
        guard known > 0, maxLength > 0 else { return (0, false) }
        var length = 1
        while length < min(maxLength, known) && isRisky(risk: risk(length)) { length += 1 }
        return (length, length == maxLength || length < known)
    }

    /// Whether a chunk of `chunk` tokens may go now, with `offloaded` of `generated` tokens
    /// offloaded before it: the answer's offloaded tokens stay within `budget` of its
    /// tokens plus the bucket's credit.
    public func allows(chunk: Int, offloaded: Int, generated: Int) -> Bool {
        guard budget > 0 else { return false }
        if budget >= 1 { return true }
        return Double(offloaded + chunk) <= budget * Double(generated + chunk) + Double(max(burst, chunk))
    }
}
