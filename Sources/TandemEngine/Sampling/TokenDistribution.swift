/// A sparse probability distribution over token ids: the tokens a `Sampler` can draw after its
/// filters and temperature, each with its probability.
///
/// Entries are in increasing token id order and every stored probability is > 0, so a token
/// that is absent has probability 0. Probabilities sum to 1 up to rounding; drawing normalises
/// by their actual sum. This is the form lossless speculative sampling needs: the cloud's p and
/// the device's q for the same position, compared token by token (`speculativeResidual`).
public struct TokenDistribution: Sendable, Hashable {
    /// The tokens with positive probability, strictly increasing.
    public let tokens: [TokenID]
    /// `probabilities[i]` is the probability of `tokens[i]`; each finite and > 0.
    public let probabilities: [Float]
    /// Σ probabilities in Double, in token order: what a draw scales its uniform number by.
    let total: Double

    /// A distribution from parallel arrays.
    /// - Precondition: same length, at least one entry, `tokens` strictly increasing,
    ///   every probability finite and > 0.
    public init(tokens: [TokenID], probabilities: [Float]) {
        precondition(tokens.count == probabilities.count,
                     "\(tokens.count) tokens but \(probabilities.count) probabilities")
        precondition(!tokens.isEmpty, "a distribution needs at least one token")
        for index in tokens.indices {
            precondition(index == 0 || tokens[index - 1] < tokens[index], "tokens must be strictly increasing")
            precondition(probabilities[index] > 0 && probabilities[index].isFinite,
                         "probability of token \(tokens[index]) is \(probabilities[index]); it must be finite and > 0")
        }
        self.tokens = tokens
        self.probabilities = probabilities
        var total: Double = 0
        for probability in probabilities { total += Double(probability) }
        self.total = total
    }

    /// All probability on `token` (what greedy decoding's distribution is).
    public static func certain(_ token: TokenID) -> TokenDistribution {
        TokenDistribution(tokens: [token], probabilities: [1])
    }

    /// Number of tokens with positive probability (≥ 1).
    public var count: Int { tokens.count }

    /// The probability of `token`; 0 when it is not in the distribution. O(log count).
    public func probability(of token: TokenID) -> Float {
        var low = 0, high = tokens.count
        while low < high {
            let middle = (low + high) / 2
            if tokens[middle] < token { low = middle + 1 } else { high = middle }
        }
        return low < tokens.count && tokens[low] == token ? probabilities[low] : 0
    }

    /// The most probable token, the lowest id among exact ties.
    public var mostLikelyToken: TokenID {
        var best = 0
        for index in probabilities.indices where probabilities[index] > probabilities[best] { best = index }
        return tokens[best]
    }

    /// The residual distribution of speculative sampling (Leviathan et al. 2023; Chen et al.
    /// 2023): norm(max(0, p − q)) where p is `self` (the target model's distribution) and q is
    /// `draft`'s. After the draft token is rejected, drawing the correction from this keeps the
    /// output distributed exactly as p. Nil when p ≤ q everywhere (then p = q and a rejection
    /// cannot happen). O(count + draft.count).
    public func speculativeResidual(draft: TokenDistribution) -> TokenDistribution? {
        var residualTokens: [TokenID] = []
        var residualWeights: [Double] = []
        var draftIndex = 0
        for index in tokens.indices {
            let token = tokens[index]
            while draftIndex < draft.tokens.count, draft.tokens[draftIndex] < token { draftIndex += 1 }
            let q = draftIndex < draft.tokens.count && draft.tokens[draftIndex] == token
                ? Double(draft.probabilities[draftIndex]) : 0
            let excess = Double(probabilities[index]) - q
            if excess > 0 {
                residualTokens.append(token)
                residualWeights.append(excess)
            }
        }
        let total = residualWeights.reduce(0, +)
        guard total > 0 else { return nil }
        var residualProbabilities: [Float] = []
        var keptTokens: [TokenID] = []
        residualProbabilities.reserveCapacity(residualWeights.count)
        keptTokens.reserveCapacity(residualWeights.count)
        for (token, weight) in zip(residualTokens, residualWeights) {
            let probability = Float(weight / total)
            guard probability > 0 else { continue }   // underflow of a tiny excess
            keptTokens.append(token)
            residualProbabilities.append(probability)
        }
        guard !keptTokens.isEmpty else { return nil }
        return TokenDistribution(tokens: keptTokens, probabilities: residualProbabilities)
    }
}
