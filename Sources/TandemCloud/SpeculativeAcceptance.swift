import Foundation
import TandemEngine
import TandemProtocol

/// The verdict on a draft chunk from the cloud model's rows (DESIGN.md, Verification).
///
/// Greedy (the sampler's temperature 0): accept the longest prefix where the draft token is
/// the cloud's argmax; the first mismatch is replaced by the argmax. Sampling: accept draft
/// token x with probability min(1, p(x)/q(x)), where p is the sampler's distribution (after its
/// filters and temperature) and q the device's; on a rejection draw the correction from the
/// residual norm(max(0, p − q)) (Leviathan et al. 2023), so the output is distributed as p.
public enum SpeculativeAcceptance {
    public struct Verdict: Sendable, Equatable {
        public var accepted: Int
        public var correction: TokenID?
        public var positions: [PositionVerdict]
        /// Greedy sessions, whole draft accepted: the cloud's own next token (its argmax after
        /// the draft), which a queued request may bet on (`VerifyRequest.nextToken`).
        public var next: TokenID? = nil
    }

    /// - Parameters:
    ///   - rows: log-probabilities (plain log-softmax), one row per draft position and one
    ///     after the chunk: `draft.count + 1` rows; row i predicts draft[i].
    ///   - draftProbabilities: q(draft[i]) per position; nil = 1 (greedy device).
    ///   - draftDistributions: the device's sparse q per position, for the exact residual.
    ///   - sampler: the session's sampler (its random stream advances when sampling).
    public static func judge(rows: [[Float]], draft: [TokenID], draftProbabilities: [Float]?,
                             draftDistributions: [[TokenProbability]]?, topK: Int,
                             sampler: inout Sampler) -> Verdict {
        precondition(rows.count == draft.count + 1, "one row per draft token and one after")
        var positions: [PositionVerdict] = []
        for (index, token) in draft.enumerated() {
            let row = rows[index]
            positions.append(PositionVerdict(top: RowMath.top(row, k: topK), draftProbability: expf(row[Int(token)])))
            if sampler.parameters.isGreedy {
                let best = RowMath.argmax(row)
                if best != token { return Verdict(accepted: index, correction: best, positions: positions) }
                continue
            }
            let p = sampler.transformedDistribution(logits: row, recentTokens: EmptyCollection<TokenID>())
            let q = draftProbabilities?[index] ?? 1
            let ratio = Double(p.probability(of: token)) / Double(q)
            if sampler.nextUniform() < min(1, ratio) { continue }
            let deviceDistribution = draftDistributions.map { distribution(from: $0[index]) }
                ?? TokenDistribution(tokens: [token], probabilities: [q])
            let residual = p.speculativeResidual(draft: deviceDistribution) ?? p
            return Verdict(accepted: index, correction: sampler.sample(from: residual), positions: positions)
        }
        positions.append(PositionVerdict(top: RowMath.top(rows[draft.count], k: topK), draftProbability: nil))
        return Verdict(accepted: draft.count, correction: nil, positions: positions,
                       next: sampler.parameters.isGreedy ? RowMath.argmax(rows[draft.count]) : nil)
    }

    /// A device distribution as a `TokenDistribution` (ids sorted, zero entries dropped).
    /// The caller has checked ids are distinct and probabilities finite in [0, 1].
    static func distribution(from entries: [TokenProbability]) -> TokenDistribution {
        let kept = entries.filter { $0.probability > 0 }.sorted { $0.id < $1.id }
        guard !kept.isEmpty else { return TokenDistribution(tokens: [0], probabilities: [.leastNormalMagnitude]) }
        return TokenDistribution(tokens: kept.map(\.id), probabilities: kept.map(\.probability))
    }
}
