import Foundation

/// The steps between a model's logits and the distribution a token is drawn from, on buffers
/// the caller owns (so `Sampler` can reuse them and allocate nothing per token).
///
/// Semantics follow llama.cpp's samplers (`src/llama-sampling.cpp`) in its default chain order,
/// with one deliberate difference: every tie is broken by the lower token id, so results never
/// depend on sort stability.
enum SamplingChain {
    /// The index of the largest logit, the lowest index among exact ties; nil when every logit
    /// is −∞ or NaN (NaN never wins).
    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int? {
        var best = -Float.infinity
        var bestIndex: Int?
        for index in logits.indices where logits[index] > best {
            best = logits[index]
            bestIndex = index
        }
        return bestIndex
    }

    /// llama.cpp's repetition penalty (`llama_sampler_penalties_apply`, `penalty_repeat`): each
    /// distinct id in `sortedTokens` gets its logit divided by `penalty` when positive and
    /// multiplied by it otherwise, once no matter how often it occurs.
    ///
    /// - Precondition: `sortedTokens` is in increasing order and every id indexes `logits`.
    static func applyRepetitionPenalty(_ penalty: Float, sortedTokens: UnsafeMutableBufferPointer<Int32>,
                                       to logits: UnsafeMutableBufferPointer<Float>) {
        var previous: Int32 = -1
        for token in sortedTokens where token != previous {
            precondition(token >= 0 && Int(token) < logits.count,
                         "recent token \(token) is outside the \(logits.count) logits")
            previous = token
            let logit = logits[Int(token)]
            logits[Int(token)] = logit <= 0 ? logit * penalty : logit / penalty
        }
    }

    /// What is left after the filters and temperature.
    struct Survivors {
        /// Surviving ids are `candidates[0 ..< count]`, in increasing id order; `logits[id]` now
        /// holds each one's normalised probability (some may have underflowed to 0).
        var count: Int
        /// How many survivors have a probability above 0 (at least 1).
        var positiveCount: Int
        /// The survivor with a positive probability and the highest id; the only one when
        /// `positiveCount == 1`.
        var lastPositive: TokenID
    }

    /// Top-k → top-p → min-p → temperature on already-penalised `logits`, leaving the survivors'
    /// probabilities in `logits` (see `Survivors`). Temperature must be > 0.
    ///
    /// As in llama.cpp, top-p and min-p see the distribution at temperature 1 (temperature
    /// comes last), top-p's probabilities are normalised over what top-k kept, and min-p's
    /// threshold is relative to the most likely token: keep logit ≥ max + ln(minP).
    /// Top-p keeps the shortest most-likely-first prefix whose probability reaches `topP`.
    /// Min-p and top-p both keep a most-likely-first prefix and min-p does not depend on
    /// normalisation, so min-p may be applied before top-p's walk without changing the result;
    /// that is done here because it shrinks what has to be sorted.
    ///
    /// Cost: O(V) to collect candidates, O(V log k) for top-k, and for top-p without top-k a
    /// selection of the best 64, 1024, 16384 ... candidates until the prefix is found.
    ///
    /// - Precondition: `candidates.count >= logits.count`; some logit is finite; no logit is +∞.
    static func filter(logits: UnsafeMutableBufferPointer<Float>, candidates: UnsafeMutableBufferPointer<Int32>,
                       parameters: SamplingParameters) -> Survivors {
        precondition(candidates.count >= logits.count)
        precondition(parameters.temperature > 0)
        // Candidates: every id with a logit above −∞ (NaN is not above anything), in id order.
        var count = 0
        var maxLogit = -Float.infinity
        for index in logits.indices {
            let logit = logits[index]
            if logit > -.infinity {
                candidates[count] = Int32(truncatingIfNeeded: index)
                count &+= 1
                maxLogit = max(maxLogit, logit)
            }
        }
        precondition(count > 0, "every logit is -inf or NaN; there is no token to sample")
        precondition(maxLogit.isFinite, "a logit is +inf; logits must be finite or -inf")

        func isMoreLikely(_ a: Int32, _ b: Int32) -> Bool {
            let logitA = logits[Int(a)], logitB = logits[Int(b)]
            return logitA > logitB || (logitA == logitB && a < b)
        }
        var isSortedByLikelihood = false

        if parameters.topK > 0, parameters.topK < count {
            PartialSort.selectBest(parameters.topK, of: UnsafeMutableBufferPointer(rebasing: candidates[0..<count]),
                                   by: isMoreLikely)
            count = parameters.topK
            isSortedByLikelihood = true
        }

        let minLogit: Float = parameters.minP > 0 ? maxLogit + logf(parameters.minP) : -.infinity
        if parameters.topP < 1 {
            // Normaliser over what top-k kept, before min-p removes anything.
            var total: Double = 0
            for position in 0..<count { total += Double(expf(logits[Int(candidates[position])] - maxLogit)) }
            if parameters.minP > 0 { count = keep(candidates, count: count) { logits[Int($0)] >= minLogit } }
            count = topPPrefixLength(logits: logits, candidates: candidates, count: count, maxLogit: maxLogit,
                                     target: Double(parameters.topP) * total,
                                     isSorted: isSortedByLikelihood, isMoreLikely: isMoreLikely)
            isSortedByLikelihood = true
        } else if parameters.minP > 0 {
            count = keep(candidates, count: count) { logits[Int($0)] >= minLogit }
        }

        let survivors = UnsafeMutableBufferPointer(rebasing: candidates[0..<count])
        if isSortedByLikelihood { PartialSort.sortAscending(survivors) }

        // Temperature and normalisation, written over the survivors' logits.
        let temperature = parameters.temperature
        var sum: Double = 0
        for id in survivors {
            let weight = expf((logits[Int(id)] - maxLogit) / temperature)
            logits[Int(id)] = weight
            sum += Double(weight)
        }
        var positiveCount = 0
        var lastPositive: TokenID = -1
        for id in survivors {
            let probability = Float(Double(logits[Int(id)]) / sum)
            logits[Int(id)] = probability
            if probability > 0 {
                positiveCount &+= 1
                lastPositive = id
            }
        }
        assert(positiveCount > 0, "the most likely survivor has weight 1")
        return Survivors(count: count, positiveCount: positiveCount, lastPositive: lastPositive)
    }

    /// Compacts `candidates[0 ..< count]` to the ids satisfying `predicate`, keeping their order.
    private static func keep(_ candidates: UnsafeMutableBufferPointer<Int32>, count: Int,
                             where predicate: (Int32) -> Bool) -> Int {
        var kept = 0
        for position in 0..<count where predicate(candidates[position]) {
            candidates[kept] = candidates[position]
            kept &+= 1
        }
        return kept
    }

    /// Sorts the most likely candidates first and returns the length of the shortest prefix
    /// whose weights exp(logit − max) sum to at least `target` (all of them if none does).
    /// Unsorted input is sorted progressively: best 64, then ×16, until the prefix is found.
    private static func topPPrefixLength(logits: UnsafeMutableBufferPointer<Float>,
                                         candidates: UnsafeMutableBufferPointer<Int32>, count: Int,
                                         maxLogit: Float, target: Double, isSorted: Bool,
                                         isMoreLikely: (Int32, Int32) -> Bool) -> Int {
        let pool = UnsafeMutableBufferPointer(rebasing: candidates[0..<count])
        var sortedCount = isSorted ? count : min(count, 64)
        while true {
            if !isSorted { PartialSort.selectBest(sortedCount, of: pool, by: isMoreLikely) }
            var cumulative: Double = 0
            for position in 0..<sortedCount {
                cumulative += Double(expf(logits[Int(pool[position])] - maxLogit))
                if cumulative >= target { return position + 1 }
            }
            if sortedCount == count { return count }
            sortedCount = min(count, sortedCount * 16)
        }
    }

    /// Draws from `count` entries given by `token(i)` and `probability(i)` in the order given:
    /// the first entry whose running sum (in Double) exceeds `uniform` × the total.
    /// Zero-probability entries are never chosen; if rounding leaves the target unreached, the
    /// last positive entry is. `uniform` is in [0, 1).
    static func draw(uniform: Double, count: Int, token: (Int) -> TokenID, probability: (Int) -> Float) -> TokenID {
        var total: Double = 0
        for index in 0..<count { total += Double(probability(index)) }
        let target = uniform * total
        var cumulative: Double = 0
        var lastPositive = -1
        for index in 0..<count {
            let p = probability(index)
            guard p > 0 else { continue }
            cumulative += Double(p)
            lastPositive = index
            if target < cumulative { return token(index) }
        }
        precondition(lastPositive >= 0, "drawing from a distribution with no positive probability")
        return token(lastPositive)
    }
}
