import Testing
import TandemEngine

@Suite("token distributions")
struct TokenDistributionTests {
    let target = TokenDistribution(tokens: [2, 5, 9], probabilities: [0.5, 0.3, 0.2])

    @Test("lookup by id; absent tokens have probability 0")
    func lookup() {
        #expect(target.count == 3)
        #expect(target.probability(of: 2) == 0.5)
        #expect(target.probability(of: 5) == 0.3)
        #expect(target.probability(of: 9) == 0.2)
        for absent: TokenID in [0, 1, 3, 6, 10, -1] { #expect(target.probability(of: absent) == 0) }
        #expect(target.mostLikelyToken == 2)
        #expect(TokenDistribution(tokens: [4, 7], probabilities: [0.5, 0.5]).mostLikelyToken == 4)
        #expect(TokenDistribution.certain(3).probability(of: 3) == 1)
    }

    @Test("speculative residual is norm(max(0, p − q))")
    func residual() throws {
        let draft = TokenDistribution(tokens: [2, 3, 9], probabilities: [0.7, 0.2, 0.1])
        // p − q: 2 → −0.2, 3 → −0.2, 5 → 0.3, 9 → 0.1; positive part sums to 0.4.
        let residual = try #require(target.speculativeResidual(draft: draft))
        #expect(residual.tokens == [5, 9])
        #expect(abs(residual.probability(of: 5) - 0.75) < 1e-6)
        #expect(abs(residual.probability(of: 9) - 0.25) < 1e-6)
        #expect(target.speculativeResidual(draft: target) == nil)
        // A draft with no overlap leaves p itself.
        let disjoint = try #require(target.speculativeResidual(draft: .certain(4)))
        #expect(disjoint.tokens == target.tokens)
    }

    @Test("speculative sampling with the residual reproduces the target distribution")
    func losslessSpeculativeSampling() {
        // Accept the draft x ~ q with probability min(1, p(x)/q(x)), else draw from the residual:
        // the result must be distributed as p (Leviathan et al. 2023, Theorem 1).
        let p = TokenDistribution(tokens: [0, 1, 2, 3], probabilities: [0.1, 0.2, 0.3, 0.4])
        let q = TokenDistribution(tokens: [0, 1, 2, 3], probabilities: [0.4, 0.3, 0.2, 0.1])
        let residual = p.speculativeResidual(draft: q)!
        var sampler = SamplingTestSupport.sampler(SamplingParameters(temperature: 1, seed: 4242))
        var counts = [0, 0, 0, 0]
        let trials = 100_000
        for _ in 0..<trials {
            let drafted = sampler.sample(from: q)
            let ratio = Double(p.probability(of: drafted) / q.probability(of: drafted))
            let token = sampler.nextUniform() < ratio ? drafted : sampler.sample(from: residual)
            counts[Int(token)] += 1
        }
        let chiSquare = zip(counts, p.probabilities).map { count, probability in
            let expected = Double(trials) * Double(probability)
            return (Double(count) - expected) * (Double(count) - expected) / expected
        }.reduce(0, +)
        #expect(chiSquare < 20, "counts \(counts)")
    }
}
