import Testing
import TandemEngine

@Suite("greedy sampling and repetition penalty")
struct GreedySamplingTests {
    static let argmaxCases: [([Float], TokenID)] = [
        ([0.5, 3, -1, 2.9], 1),
        ([-5, -4, -6], 1),
        ([7], 0),
        ([-.infinity, -.infinity, -100], 2),
        ([1, .nan, 0.5], 0),
    ]

    @Test("greedy is the argmax", arguments: argmaxCases)
    func argmax(logits: [Float], expected: TokenID) {
        var sampler = SamplingTestSupport.sampler(.greedy)
        var copy = logits
        #expect(sampler.sample(logits: &copy, recentTokens: []) == expected)
        #expect(logits.withUnsafeBufferPointer { Sampler.argmax(logits: $0) } == expected)
    }

    @Test("exact ties go to the lowest id")
    func ties() {
        var sampler = SamplingTestSupport.sampler(.greedy)
        var logits: [Float] = [1, 4, 2, 4, 4]
        #expect(sampler.sample(logits: &logits, recentTokens: []) == 1)
        var allEqual = [Float](repeating: 0.25, count: 1000)
        #expect(sampler.sample(logits: &allEqual, recentTokens: []) == 0)
    }

    @Test("greedy uses no randomness, and its distribution is certain")
    func noRandomness() {
        var sampler = SamplingTestSupport.sampler(SamplingParameters(temperature: 0, seed: 99))
        let before = sampler.randomGenerator
        for _ in 0..<10 {
            var logits = SamplingTestSupport.randomLogits(count: 500, seed: 5)
            _ = sampler.sample(logits: &logits, recentTokens: [])
        }
        #expect(sampler.randomGenerator == before)
        let logits: [Float] = [0, 2, 1]
        #expect(sampler.transformedDistribution(logits: logits, recentTokens: []) == .certain(1))
    }

    @Test("penalty divides positive logits, multiplies negative ones, once per distinct token")
    func penaltySemantics() {
        var sampler = SamplingTestSupport.sampler(SamplingParameters(repetitionPenalty: 2))
        var logits: [Float] = [2, -2, 0, 4, 3]
        _ = sampler.sample(logits: &logits, recentTokens: [0, 1, 0, 2, 0])
        #expect(logits == [1, -4, 0, 4, 3])
    }

    @Test("the penalty changes the greedy choice")
    func penaltyChangesChoice() {
        var sampler = SamplingTestSupport.sampler(SamplingParameters(repetitionPenalty: 1.5))
        var logits: [Float] = [3, 2.5, -1]
        #expect(sampler.sample(logits: &logits, recentTokens: [0]) == 1)
        // A penalty below 1 rewards repetition.
        var rewarding = SamplingTestSupport.sampler(SamplingParameters(repetitionPenalty: 0.5))
        var other: [Float] = [3, 2.5, -1]
        #expect(rewarding.sample(logits: &other, recentTokens: [1]) == 1)
    }

    static let windowCases: [(Int, [Float])] = [
        (0, [4, 4, 4, 4]),          // window 0: off
        (1, [4, 4, 4, 2]),          // the last token only
        (2, [4, 4, 2, 2]),
        (64, [2, 2, 2, 2]),
        (.max, [2, 2, 2, 2]),
    ]

    @Test("only the last repetitionPenaltyWindow tokens count", arguments: windowCases)
    func window(size: Int, expected: [Float]) {
        var sampler = SamplingTestSupport.sampler(SamplingParameters(repetitionPenalty: 2, repetitionPenaltyWindow: size))
        var logits: [Float] = [4, 4, 4, 4]
        _ = sampler.sample(logits: &logits, recentTokens: [0, 1, 2, 3])
        #expect(logits == expected)
    }

    @Test("recent tokens can be any collection, such as an array slice")
    func collections() {
        var sampler = SamplingTestSupport.sampler(SamplingParameters(repetitionPenalty: 2, repetitionPenaltyWindow: 2))
        let history: [TokenID] = [0, 1, 2, 3, 0]
        var logits: [Float] = [4, 4, 4, 4]
        _ = sampler.sample(logits: &logits, recentTokens: history[1...3])
        #expect(logits == [4, 4, 2, 2])
        var fromSet: [Float] = [4, 4, 4, 4]
        _ = sampler.sample(logits: &fromSet, recentTokens: Set<TokenID>([3]))
        #expect(fromSet == [4, 4, 4, 2])
    }
}
