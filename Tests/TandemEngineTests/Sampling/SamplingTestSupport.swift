import Foundation
import TandemEngine

/// Helpers shared by the sampling tests (a namespace, so nothing collides with other suites).
enum SamplingTestSupport {
    /// A validated sampler; parameters in tests are always valid unless a test says otherwise.
    static func sampler(_ parameters: SamplingParameters) -> Sampler {
        do {
            return try Sampler(parameters: parameters)
        } catch {
            fatalError("test parameters are invalid: \(error)")
        }
    }

    /// Logits whose softmax is exactly `probabilities` (up to rounding): ln p.
    static func logits(probabilities: [Double]) -> [Float] {
        probabilities.map { Float(log($0)) }
    }

    /// The set of tokens the sampler may draw for `logits`.
    static func survivors(_ parameters: SamplingParameters, logits: [Float],
                          recentTokens: [TokenID] = []) -> [TokenID] {
        var sampler = sampler(parameters)
        return sampler.transformedDistribution(logits: logits, recentTokens: recentTokens).tokens
    }

    /// `count` logits drawn from a seeded generator, spread like a model's (a few large, most
    /// small), rounded to quarter steps so that exact ties occur.
    static func randomLogits(count: Int, seed: UInt64, quantised: Bool = false) -> [Float] {
        var generator = Xoshiro256StarStar(seed: seed)
        return (0..<count).map { _ in
            let u = generator.nextUnitInterval()
            let value = Float(-8 + 16 * u * u * u)
            return quantised ? (value * 4).rounded() / 4 : value
        }
    }
}

/// A plain re-implementation of the sampling chain, written for clarity rather than speed:
/// sort everything, then apply each filter as llama.cpp describes it. The sampler must agree.
enum ReferenceSamplingChain {
    static func distribution(logits input: [Float], recentTokens: [TokenID],
                             parameters: SamplingParameters) -> [(token: TokenID, probability: Double)] {
        var logits = input
        if parameters.repetitionPenalty != 1, parameters.repetitionPenaltyWindow > 0 {
            for token in Set(recentTokens.suffix(parameters.repetitionPenaltyWindow)) {
                let logit = logits[Int(token)]
                logits[Int(token)] = logit <= 0 ? logit * parameters.repetitionPenalty : logit / parameters.repetitionPenalty
            }
        }
        // Most likely first, lower id first on ties; -inf and NaN are not candidates.
        var candidates = logits.indices.filter { logits[$0] > -.infinity }
            .map { (token: TokenID($0), logit: logits[$0]) }
        candidates.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.token < $1.token) }
        let maxLogit = candidates[0].logit
        if parameters.temperature == 0 { return [(candidates[0].token, 1)] }

        if parameters.topK > 0 { candidates = Array(candidates.prefix(parameters.topK)) }
        if parameters.topP < 1 {
            let weights = candidates.map { Double(expf($0.logit - maxLogit)) }
            let total = weights.reduce(0, +)
            var cumulative = 0.0
            var keep = candidates.count
            for (index, weight) in weights.enumerated() {
                cumulative += weight
                if cumulative >= Double(parameters.topP) * total {
                    keep = index + 1
                    break
                }
            }
            candidates = Array(candidates.prefix(keep))
        }
        if parameters.minP > 0 {
            let minLogit = maxLogit + logf(parameters.minP)
            candidates = candidates.filter { $0.logit >= minLogit }
        }
        let weights = candidates.map { Double(expf(($0.logit - maxLogit) / parameters.temperature)) }
        let total = weights.reduce(0, +)
        return zip(candidates, weights).map { ($0.token, $1 / total) }
            .filter { $0.1 > 0 }
            .sorted { $0.token < $1.token }
    }
}
