import Foundation
import Testing
import TandemEngine
import TandemProtocol
import TandemCloud

/// Acceptance rules on hand-made rows over a 4-token vocabulary.
@Suite struct SpeculativeAcceptanceTests {
    /// Log-probabilities of a distribution.
    func row(_ p: [Float]) -> [Float] { p.map { logf($0) } }

    @Test func greedyAcceptsTheLongestMatchingPrefixAndCorrectsTheFirstMismatch() throws {
        var sampler = try Sampler(parameters: .greedy)
        let rows = [row([0.1, 0.7, 0.1, 0.1]), row([0.6, 0.2, 0.1, 0.1]), row([0.1, 0.1, 0.1, 0.7]), row([0.25, 0.25, 0.25, 0.25])]
        let verdict = SpeculativeAcceptance.judge(rows: rows, draft: [1, 0, 2], draftProbabilities: nil, draftDistributions: nil,
                                                  topK: 2, sampler: &sampler)
        #expect(verdict.accepted == 2)
        #expect(verdict.correction == 3)
        #expect(verdict.positions.count == 3)
        #expect(verdict.positions[0].top.map(\.id) == [1, 0])
        #expect(abs(verdict.positions[2].draftProbability! - 0.1) < 1e-6)
    }

    @Test func greedyFullAcceptanceReportsThePositionAfterTheChunk() throws {
        var sampler = try Sampler(parameters: .greedy)
        let rows = [row([0.1, 0.7, 0.1, 0.1]), row([0.1, 0.1, 0.1, 0.7])]
        let verdict = SpeculativeAcceptance.judge(rows: rows, draft: [1], draftProbabilities: nil, draftDistributions: nil,
                                                  topK: 1, sampler: &sampler)
        #expect(verdict.accepted == 1)
        #expect(verdict.correction == nil)
        #expect(verdict.positions.count == 2)
        #expect(verdict.positions[1].draftProbability == nil)
        #expect(verdict.positions[1].top.first?.id == 3)
    }

    @Test func samplingAcceptsWhenTheDeviceMatchesTheCloud() throws {
        // p = q for every position: min(1, p/q) = 1, so every token is accepted whatever u is.
        for seed in 0..<50 as Range<UInt64> {
            var sampler = try Sampler(parameters: SamplingParameters(temperature: 1, seed: seed))
            let p: [Float] = [0.1, 0.2, 0.3, 0.4]
            let draft: [TokenID] = [0, 3, 1]
            let verdict = SpeculativeAcceptance.judge(rows: Array(repeating: row(p), count: 4), draft: draft,
                                                      draftProbabilities: draft.map { p[Int($0)] }, draftDistributions: nil,
                                                      topK: 0, sampler: &sampler)
            #expect(verdict.accepted == 3)
        }
    }

    @Test func samplingRejectsWhatTheCloudRulesOutAndResamplesFromTheResidual() throws {
        for seed in 0..<50 as Range<UInt64> {
            var sampler = try Sampler(parameters: SamplingParameters(temperature: 1, seed: seed))
            // The cloud gives token 2 probability ~0; the device proposed it with q = 0.9.
            let p: [Float] = [0.5, 0.3, 1e-30, 0.2]
            let q = [TokenProbability(id: 2, probability: 0.9), TokenProbability(id: 0, probability: 0.1)]
            let verdict = SpeculativeAcceptance.judge(rows: [row(p), row(p)], draft: [2], draftProbabilities: [0.9],
                                                      draftDistributions: [q], topK: 0, sampler: &sampler)
            #expect(verdict.accepted == 0)
            let correction = try #require(verdict.correction)
            #expect([0, 1, 3].contains(correction))
        }
    }

    @Test func samplingMatchesTheCloudDistributionOverManyDraws() throws {
        // Device always proposes token 0 (q = 1); cloud p = [0.5, 0.25, 0.25, 0]. Accepted-or-
        // corrected output must follow p: lossless speculative sampling.
        let p: [Float] = [0.5, 0.25, 0.25, 1e-30]
        var counts = [0, 0, 0, 0]
        var sampler = try Sampler(parameters: SamplingParameters(temperature: 1, seed: 7))
        let n = 4000
        for _ in 0..<n {
            let verdict = SpeculativeAcceptance.judge(rows: [row(p), row(p)], draft: [0], draftProbabilities: [1],
                                                      draftDistributions: nil, topK: 0, sampler: &sampler)
            counts[Int(verdict.correction ?? 0)] += 1
        }
        for (index, expected) in p.enumerated() {
            #expect(abs(Double(counts[index]) / Double(n) - Double(expected)) < 0.03, "token \(index): \(counts)")
        }
    }
}
