import Foundation
import Testing
import TandemEngine

/// Sampling with temperature > 0: reproducibility, the drawn frequencies, and agreement
/// between `sample` and `sample(from: transformedDistribution)`.
@Suite("random sampling")
struct RandomSamplingTests {
    static func tokens(_ parameters: SamplingParameters, count: Int, vocabularySize: Int = 1000) -> [TokenID] {
        var sampler = SamplingTestSupport.sampler(parameters)
        let base = SamplingTestSupport.randomLogits(count: vocabularySize, seed: 11)
        var history: [TokenID] = []
        for _ in 0..<count {
            var logits = base
            history.append(sampler.sample(logits: &logits, recentTokens: history))
        }
        return history
    }

    @Test("the same seed gives the same tokens", arguments: [
        SamplingParameters(temperature: 1, seed: 1),
        SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repetitionPenalty: 1.1, seed: 2),
    ])
    func sameSeed(parameters: SamplingParameters) {
        #expect(Self.tokens(parameters, count: 200) == Self.tokens(parameters, count: 200))
    }

    @Test("different seeds give different tokens")
    func differentSeeds() {
        let first = Self.tokens(SamplingParameters(temperature: 1, seed: 1), count: 200)
        let second = Self.tokens(SamplingParameters(temperature: 1, seed: 2), count: 200)
        #expect(first != second)
        #expect(zip(first, second).filter { $0 != $1 }.count > 100)
    }

    /// Pearson's χ² statistic of observed counts against expected probabilities.
    static func chiSquare(counts: [Int], expected: [Double]) -> Double {
        let total = Double(counts.reduce(0, +))
        return zip(counts, expected).map { count, p in
            let e = total * p
            return (Double(count) - e) * (Double(count) - e) / e
        }.reduce(0, +)
    }

    @Test("drawn frequencies match the distribution (χ², fixed seed)", arguments: [Float(1), 0.5])
    func frequencies(temperature: Float) {
        let probabilities = [0.1, 0.2, 0.3, 0.4]
        let logits = SamplingTestSupport.logits(probabilities: probabilities)
        let reshaped = probabilities.map { pow($0, 1 / Double(temperature)) }
        let expected = reshaped.map { $0 / reshaped.reduce(0, +) }

        var sampler = SamplingTestSupport.sampler(SamplingParameters(temperature: temperature, seed: 12345))
        var counts = [0, 0, 0, 0]
        for _ in 0..<100_000 {
            var copy = logits
            counts[Int(sampler.sample(logits: &copy, recentTokens: []))] += 1
        }
        // 3 degrees of freedom: P(χ² > 16.3) = 0.001. The bound is generous; the seed is fixed,
        // so the outcome is deterministic.
        #expect(Self.chiSquare(counts: counts, expected: expected) < 20, "counts \(counts)")
    }

    @Test("a filtered-out token is never drawn")
    func neverOutsideSurvivors() {
        let logits = SamplingTestSupport.logits(probabilities: [0.05, 0.40, 0.10, 0.30, 0.15])
        var sampler = SamplingTestSupport.sampler(SamplingParameters(temperature: 1.5, topP: 0.8, seed: 3))
        var seen = Set<TokenID>()
        for _ in 0..<5000 {
            var copy = logits
            seen.insert(sampler.sample(logits: &copy, recentTokens: []))
        }
        #expect(seen == [1, 3, 4])
    }

    @Test("one survivor: chosen without a draw")
    func singleSurvivor() {
        var sampler = SamplingTestSupport.sampler(SamplingParameters(temperature: 1, topK: 1, seed: 8))
        let before = sampler.randomGenerator
        var logits: [Float] = [0.1, 0.7, 0.3]
        #expect(sampler.sample(logits: &logits, recentTokens: []) == 1)
        #expect(sampler.randomGenerator == before)
    }

    @Test("a temperature so low that one token keeps all the weight: chosen without a draw")
    func coldTemperature() {
        var sampler = SamplingTestSupport.sampler(SamplingParameters(temperature: 0.001, seed: 8))
        let before = sampler.randomGenerator
        // Every other token is at least 0.1 below the best: weight e^(−0.1/0.001) underflows to 0.
        var logits = (0..<1000).map { Float(($0 * 7) % 1000) * -0.1 }
        #expect(sampler.sample(logits: &logits, recentTokens: []) == 0)
        #expect(sampler.randomGenerator == before)
    }

    @Test("probabilities follow the logistic curve for two tokens, far into the tail")
    func twoTokenTail() {
        // p(token 1) = e^d / (1 + e^d) for logits [0, d]; checks the sampler's exp, vectorised
        // (32 copies of the pair) and one at a time (a single pair).
        var sampler = SamplingTestSupport.sampler(SamplingParameters(temperature: 1))
        var worst: Double = 0
        for step in 0...800 {
            let d = -Float(step) * 0.1
            let expected = Double(expf(d)) / (1 + Double(expf(d)))
            let single = sampler.transformedDistribution(logits: [0, d], recentTokens: [])
            let wide = sampler.transformedDistribution(logits: Array(repeating: [0, d], count: 32).flatMap { $0 },
                                                       recentTokens: [])
            worst = max(worst, abs(Double(single.probability(of: 1)) - expected) / expected)
            worst = max(worst, abs(Double(wide.probability(of: 1)) * 32 - expected) / expected)
        }
        #expect(worst < 1e-5)
    }

    @Test("sample(logits:) and sample(from: transformedDistribution) choose alike", arguments: [
        SamplingParameters(temperature: 1, seed: 21),
        SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, seed: 22),
        SamplingParameters(temperature: 0.6, topP: 0.9, repetitionPenalty: 1.2, seed: 23),
        SamplingParameters(temperature: 0.05, topK: 5, seed: 24),
        SamplingParameters(temperature: 0, repetitionPenalty: 1.3, seed: 25),
    ])
    func distributionAgrees(parameters: SamplingParameters) {
        var direct = SamplingTestSupport.sampler(parameters)
        var viaDistribution = SamplingTestSupport.sampler(parameters)
        var history: [TokenID] = []
        for step in 0..<300 {
            let logits = SamplingTestSupport.randomLogits(count: 3000, seed: UInt64(step % 7), quantised: step % 2 == 0)
            var copy = logits
            let token = direct.sample(logits: &copy, recentTokens: history)
            let distribution = viaDistribution.transformedDistribution(logits: logits, recentTokens: history)
            #expect(viaDistribution.sample(from: distribution) == token)
            #expect(direct.randomGenerator == viaDistribution.randomGenerator)
            history.append(token)
        }
    }

    @Test("a copied sampler replays the same tokens")
    func forking() {
        var sampler = SamplingTestSupport.sampler(SamplingParameters(temperature: 1, seed: 77))
        let logits = SamplingTestSupport.randomLogits(count: 100, seed: 1)
        var copy = logits
        _ = sampler.sample(logits: &copy, recentTokens: [])
        var branch = sampler
        let fromBranch = (0..<20).map { _ in var l = logits; return branch.sample(logits: &l, recentTokens: []) }
        let fromMain = (0..<20).map { _ in var l = logits; return sampler.sample(logits: &l, recentTokens: []) }
        #expect(fromBranch == fromMain)
    }
}
