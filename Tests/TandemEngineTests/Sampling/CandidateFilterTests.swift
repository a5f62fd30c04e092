import Foundation
import Testing
import TandemEngine

/// Top-k, top-p and min-p on crafted logits: which candidates survive, exactly.
@Suite("candidate filters")
struct CandidateFilterTests {
    /// Probabilities by id: 0 → 0.05, 1 → 0.40, 2 → 0.10, 3 → 0.30, 4 → 0.15.
    /// Most likely first: 1, 3, 4, 2, 0 with running sums 0.40, 0.70, 0.85, 0.95, 1.
    static let logits = SamplingTestSupport.logits(probabilities: [0.05, 0.40, 0.10, 0.30, 0.15])

    static func survivors(_ parameters: SamplingParameters) -> Set<TokenID> {
        Set(SamplingTestSupport.survivors(parameters, logits: logits))
    }

    static let topKCases: [(Int, Set<TokenID>)] = [
        (1, [1]), (2, [1, 3]), (3, [1, 3, 4]), (4, [1, 3, 4, 2]), (5, [0, 1, 2, 3, 4]),
        (100, [0, 1, 2, 3, 4]), (0, [0, 1, 2, 3, 4]),
    ]

    @Test("top-k keeps the k most likely", arguments: topKCases)
    func topK(k: Int, expected: Set<TokenID>) {
        #expect(Self.survivors(SamplingParameters(temperature: 1, topK: k)) == expected)
    }

    @Test("top-k breaks ties at the boundary by the lower id")
    func topKTies() {
        let logits: [Float] = [1, 5, 3, 5, 2, 5]
        #expect(SamplingTestSupport.survivors(SamplingParameters(temperature: 1, topK: 1), logits: logits) == [1])
        #expect(SamplingTestSupport.survivors(SamplingParameters(temperature: 1, topK: 2), logits: logits) == [1, 3])
        #expect(SamplingTestSupport.survivors(SamplingParameters(temperature: 1, topK: 4), logits: logits) == [1, 2, 3, 5])
    }

    static let topPCases: [(Float, Set<TokenID>)] = [
        (0.3, [1]), (0.5, [1, 3]), (0.8, [1, 3, 4]), (0.9, [1, 3, 4, 2]), (0.99, [0, 1, 2, 3, 4]), (1, [0, 1, 2, 3, 4]),
    ]

    @Test("top-p keeps the shortest most-likely prefix reaching p", arguments: topPCases)
    func topP(p: Float, expected: Set<TokenID>) {
        #expect(Self.survivors(SamplingParameters(temperature: 1, topP: p)) == expected)
    }

    @Test("top-p renormalises over what top-k kept (llama.cpp order)")
    func topPAfterTopK() {
        // After top-k 2: 1 → 0.571, 3 → 0.429. p = 0.45 is reached by token 1 alone;
        // over the full distribution 1 has only 0.40, so 3 is needed too.
        #expect(Self.survivors(SamplingParameters(temperature: 1, topK: 2, topP: 0.45)) == [1])
        #expect(Self.survivors(SamplingParameters(temperature: 1, topP: 0.45)) == [1, 3])
    }

    static let minPCases: [(Float, Set<TokenID>)] = [
        (1, [1]), (0.5, [1, 3]), (0.3, [1, 3, 4]), (0.2, [1, 3, 4, 2]), (0.1, [0, 1, 2, 3, 4]), (0, [0, 1, 2, 3, 4]),
    ]

    @Test("min-p keeps tokens at least p times as likely as the best", arguments: minPCases)
    func minP(p: Float, expected: Set<TokenID>) {
        #expect(Self.survivors(SamplingParameters(temperature: 1, minP: p)) == expected)
    }

    @Test("min-p keeps every token tied with the best")
    func minPTies() {
        let logits: [Float] = [2, 3, 3, 1]
        #expect(SamplingTestSupport.survivors(SamplingParameters(temperature: 1, minP: 1), logits: logits) == [1, 2])
    }

    @Test("filters combine as an intersection in chain order")
    func combined() {
        // top-p 0.9 keeps {1, 3, 4, 2}; min-p 0.3 (≥ 0.12) then drops 2.
        #expect(Self.survivors(SamplingParameters(temperature: 1, topP: 0.9, minP: 0.3)) == [1, 3, 4])
        // top-k 3 then min-p 0.5.
        #expect(Self.survivors(SamplingParameters(temperature: 1, topK: 3, minP: 0.5)) == [1, 3])
        // Everything at once.
        #expect(Self.survivors(SamplingParameters(temperature: 1, topK: 4, topP: 0.8, minP: 0.2)) == [1, 3, 4])
    }

    @Test("temperature reshapes the survivors as p^(1/T), renormalised", arguments: [Float(0.5), 1, 2])
    func temperature(value: Float) throws {
        var sampler = SamplingTestSupport.sampler(SamplingParameters(temperature: value, topK: 3))
        let distribution = sampler.transformedDistribution(logits: Self.logits, recentTokens: [])
        let kept: [TokenID: Double] = [1: 0.40, 3: 0.30, 4: 0.15]
        let total = kept.values.map { pow($0, 1 / Double(value)) }.reduce(0, +)
        #expect(distribution.tokens == [1, 3, 4])
        for (token, p) in kept {
            #expect(abs(Double(distribution.probability(of: token)) - pow(p, 1 / Double(value)) / total) < 1e-6)
        }
        #expect(distribution.probability(of: 0) == 0)
    }

    @Test("masked (−∞) and NaN logits never survive")
    func masked() {
        let logits: [Float] = [.nan, 1, -.infinity, 0.5]
        #expect(SamplingTestSupport.survivors(SamplingParameters(temperature: 1), logits: logits) == [1, 3])
    }

    /// Random vocabularies large enough to exercise the progressive top-p sort, with ties.
    static let chains: [SamplingParameters] = [
        SamplingParameters(temperature: 1),
        SamplingParameters(temperature: 0.8, topK: 40),
        SamplingParameters(temperature: 0.8, topP: 0.95),
        SamplingParameters(temperature: 1.3, topP: 0.999),
        SamplingParameters(temperature: 0.7, minP: 0.05),
        SamplingParameters(temperature: 1, topP: 0.9, minP: 0.01),
        SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05),
        SamplingParameters(temperature: 0.9, topK: 2000, topP: 0.98),
        SamplingParameters(temperature: 1, topP: 0.5, repetitionPenalty: 1.3, repetitionPenaltyWindow: 16),
    ]

    @Test("long survivor lists keep exactly the lowest ids among ties")
    func longTiedPrefix() {
        // All 4096 logits equal: top-p 0.5 keeps exactly half, top-k 3000 the first 3000, by id.
        let flat = [Float](repeating: 0, count: 4096)
        #expect(SamplingTestSupport.survivors(SamplingParameters(temperature: 1, topP: 0.5), logits: flat)
                    == Array(0..<2048))
        #expect(SamplingTestSupport.survivors(SamplingParameters(temperature: 1, topK: 3000), logits: flat)
                    == Array(0..<3000))
        var sampler = SamplingTestSupport.sampler(SamplingParameters(temperature: 1, topP: 0.5, seed: 5))
        for _ in 0..<200 {
            var logits = flat
            #expect(sampler.sample(logits: &logits, recentTokens: []) < 2048)
        }
    }

    /// Flat vocabularies, where the nucleus holds thousands of tokens.
    static let wideChains: [SamplingParameters] = [
        SamplingParameters(temperature: 1, topP: 0.95),
        SamplingParameters(temperature: 0.7, topP: 0.5),
        SamplingParameters(temperature: 1, topP: 0.95, minP: 0.3),
        SamplingParameters(temperature: 1, topP: 0.3, minP: 0.2),
        SamplingParameters(temperature: 1.2, topK: 20_000, topP: 0.9),
        SamplingParameters(temperature: 1, topK: 5000),
    ]

    @Test("agrees with the reference when the nucleus holds thousands of tokens", arguments: wideChains)
    func wideReference(parameters: SamplingParameters) {
        for seed in UInt64(0)..<3 {
            var generator = Xoshiro256StarStar(seed: seed)
            let logits = (0..<30_000).map { _ in
                let value = Float(-3 * generator.nextUnitInterval())
                return seed == 1 ? (value * 16).rounded() / 16 : value
            }
            var sampler = SamplingTestSupport.sampler(parameters)
            let distribution = sampler.transformedDistribution(logits: logits, recentTokens: [])
            let expected = ReferenceSamplingChain.distribution(logits: logits, recentTokens: [], parameters: parameters)
            #expect(distribution.tokens == expected.map(\.token), "seed \(seed)")
            let largestError = zip(distribution.probabilities, expected)
                .map { abs(Double($0) - $1.probability) / $1.probability }.max() ?? 0
            #expect(largestError < 1e-4, "seed \(seed)")
        }
    }

    @Test("agrees with a plain sort-everything reference on random vocabularies", arguments: chains)
    func reference(parameters: SamplingParameters) {
        for seed in UInt64(0)..<6 {
            let logits = SamplingTestSupport.randomLogits(count: 5000, seed: seed, quantised: seed % 2 == 0)
            let recent = (0..<40).map { TokenID(($0 * 97 + Int(seed)) % 5000) }
            var sampler = SamplingTestSupport.sampler(parameters)
            let distribution = sampler.transformedDistribution(logits: logits, recentTokens: recent)
            let expected = ReferenceSamplingChain.distribution(logits: logits, recentTokens: recent, parameters: parameters)
            #expect(distribution.tokens == expected.map(\.token), "seed \(seed)")
            let largestError = zip(distribution.probabilities, expected)
                .map { abs(Double($0) - $1.probability) }.max() ?? 0
            #expect(largestError < 1e-5, "seed \(seed)")
        }
    }
}
