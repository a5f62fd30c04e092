import Foundation

/// The steps between a model's logits and the distribution a token is drawn from, on buffers
/// the caller owns (so `Sampler` can reuse them and allocate nothing per token).
///
/// Semantics follow llama.cpp's samplers (`src/llama-sampling.cpp`) in its default chain order,
/// with one deliberate difference: every tie is broken by the lower token id, so results never
/// depend on sort stability.
enum SamplingChain {
    /// The largest logit; −∞ when every logit is −∞ or NaN (NaN is never the maximum).
    /// Sixteen lanes at a time.
    static func maximum(_ logits: UnsafeBufferPointer<Float>) -> Float {
        typealias Lanes = SIMD16<Float>
        var index = 0
        var best = -Float.infinity
        if let base = logits.baseAddress, logits.count >= Lanes.scalarCount {
            var lanes = Lanes(repeating: -.infinity)
            let raw = UnsafeRawPointer(base)
            while index &+ Lanes.scalarCount <= logits.count {
                let values = raw.loadUnaligned(fromByteOffset: index &* MemoryLayout<Float>.stride, as: Lanes.self)
                lanes.replace(with: values, where: values .> lanes)
                index &+= Lanes.scalarCount
            }
            best = lanes.max()
        }
        while index < logits.count {
            if logits[index] > best { best = logits[index] }
            index &+= 1
        }
        return best
    }

    /// The index of the largest logit, the lowest index among exact ties; nil when every logit
    /// is −∞ or NaN (NaN never wins).
    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int? {
        let best = maximum(logits)
        guard best > -.infinity else { return nil }
        return logits.firstIndex(of: best)
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

    /// What is left after the filters and temperature: each survivor's normalised probability
    /// is written over its logit.
    struct Survivors {
        enum Layout {
            /// The survivors are `candidates[0 ..< count]`, in increasing id order.
            case candidates(count: Int)
            /// Every token is listed; filtered-out tokens have probability 0.
            case allTokens
        }
        var layout: Layout
        /// How many survivors have a probability above 0 (at least 1).
        var positiveCount: Int
        /// The highest id with a positive probability; the only one when `positiveCount == 1`.
        var lastPositive: TokenID
        /// The sum in Double of the probabilities in increasing id order (1 up to rounding),
        /// as `TokenDistribution` computes it, so draws from either agree exactly.
        var total: Double
    }

    /// Top-k → top-p → min-p → temperature on already-penalised `logits`, leaving the survivors'
    /// probabilities in `logits` (see `Survivors`). Temperature must be > 0.
    ///
    /// As in llama.cpp, top-p and min-p see the distribution at temperature 1 (temperature
    /// comes last), top-p's probabilities are normalised over what top-k kept, and min-p keeps
    /// logit ≥ max + ln(minP), a threshold relative to the most likely token. Top-p keeps the
    /// shortest most-likely-first prefix whose probability reaches `topP`. Top-k, top-p and
    /// min-p each keep a most-likely-first prefix, so together they keep the shortest of the
    /// three, found in one walk down the sorted candidates.
    ///
    /// Cost: with neither top-k nor top-p nothing is sorted: a vectorised exp per token for
    /// plain temperature, one threshold pass for min-p. Top-k: one O(V) selection pass. Top-p
    /// without top-k: a vectorised exp per token for the normaliser, then selections of the
    /// best 64, 1024, 16384 ... until the nucleus is found.
    ///
    /// - Precondition: `candidates.count >= logits.count`; some logit is above −∞; none is +∞.
    static func filter(logits: UnsafeMutableBufferPointer<Float>, candidates: UnsafeMutableBufferPointer<Int32>,
                       parameters: SamplingParameters) -> Survivors {
        precondition(candidates.count >= logits.count)
        precondition(parameters.temperature > 0)
        let readOnly = UnsafeBufferPointer(logits)
        let maxLogit = maximum(readOnly)
        precondition(maxLogit > -.infinity, "every logit is -inf or NaN; there is no token to sample")
        precondition(maxLogit.isFinite, "a logit is +inf; logits must be finite or -inf")
        let minLogit: Float = parameters.minP > 0 ? maxLogit + logf(parameters.minP) : -.infinity

        guard parameters.topK > 0 || parameters.topP < 1 else {
            guard parameters.minP > 0 else {
                return weighAll(logits: logits, maxLogit: maxLogit, temperature: parameters.temperature)
            }
            // Min-p alone: a threshold, no order needed; survivors are listed in id order.
            var count = 0
            for index in logits.indices where logits[index] >= minLogit {
                candidates[count] = Int32(truncatingIfNeeded: index)
                count &+= 1
            }
            return weigh(UnsafeMutableBufferPointer(rebasing: candidates[0..<count]), logits: logits,
                         maxLogit: maxLogit, temperature: parameters.temperature)
        }

        var count: Int
        if parameters.topK > 0 {
            count = PartialSort.selectMostLikely(min(parameters.topK, logits.count), logits: readOnly, into: candidates)
            var target: Double?
            if parameters.topP < 1 {
                var total: Double = 0
                for position in 0..<count { total += Double(SamplingExp.exp(logits[Int(candidates[position])] - maxLogit)) }
                target = Double(parameters.topP) * total
            }
            count = prefixLength(logits: readOnly, sorted: candidates, count: count, maxLogit: maxLogit,
                                 target: target, minLogit: minLogit) ?? count
        } else {
            let target = Double(parameters.topP) * weightSum(readOnly, maxLogit: maxLogit)
            var requested = min(64, logits.count)
            while true {
                let selected = PartialSort.selectMostLikely(requested, logits: readOnly, into: candidates)
                if let length = prefixLength(logits: readOnly, sorted: candidates, count: selected,
                                             maxLogit: maxLogit, target: target, minLogit: minLogit) {
                    count = length
                    break
                }
                if selected < requested || requested == logits.count {   // every candidate seen
                    count = selected
                    break
                }
                requested = min(logits.count, requested &* 16)
            }
        }
        let survivors = UnsafeMutableBufferPointer(rebasing: candidates[0..<count])
        PartialSort.sortAscending(survivors)
        return weigh(survivors, logits: logits, maxLogit: maxLogit, temperature: parameters.temperature)
    }

    /// The length of the prefix of the most-likely-first `sorted[0 ..< count]` that top-p and
    /// min-p keep: it ends before the first logit below `minLogit`, or at the first position
    /// where the running sum of exp(logit − max) reaches `target`. Nil when neither happens.
    private static func prefixLength(logits: UnsafeBufferPointer<Float>, sorted: UnsafeMutableBufferPointer<Int32>,
                                     count: Int, maxLogit: Float, target: Double?, minLogit: Float) -> Int? {
        var cumulative: Double = 0
        for position in 0..<count {
            let logit = logits[Int(sorted[position])]
            if logit < minLogit { return position }   // never the first: it holds the maximum
            if let target {
                cumulative += Double(SamplingExp.exp(logit - maxLogit))
                if cumulative >= target { return position + 1 }
            }
        }
        return nil
    }

    /// Temperature and normalisation for the listed survivors (increasing ids).
    private static func weigh(_ survivors: UnsafeMutableBufferPointer<Int32>, logits: UnsafeMutableBufferPointer<Float>,
                              maxLogit: Float, temperature: Float) -> Survivors {
        var sum: Double = 0
        for id in survivors {
            let weight = SamplingExp.exp((logits[Int(id)] - maxLogit) / temperature)
            logits[Int(id)] = weight
            sum += Double(weight)
        }
        let inverse = 1 / sum
        var result = Survivors(layout: .candidates(count: survivors.count), positiveCount: 0, lastPositive: -1, total: 0)
        for id in survivors {
            let probability = Float(Double(logits[Int(id)]) * inverse)
            logits[Int(id)] = probability
            if probability > 0 {
                result.positiveCount &+= 1
                result.lastPositive = id
                result.total += Double(probability)
            }
        }
        assert(result.positiveCount > 0, "the most likely survivor has weight 1")
        return result
    }

    /// Σ exp(logit − max) over the logits above −∞ (NaN excluded), sixteen at a time.
    private static func weightSum(_ logits: UnsafeBufferPointer<Float>, maxLogit: Float) -> Double {
        typealias Lanes = SamplingExp.Lanes
        var sum: Double = 0
        var index = 0
        if let base = logits.baseAddress {
            let raw = UnsafeRawPointer(base)
            var block = Lanes()   // summed in Float lanes for up to 1024 logits, then into `sum`
            var chunks = 0
            while index &+ Lanes.scalarCount <= logits.count {
                let values = raw.loadUnaligned(fromByteOffset: index &* MemoryLayout<Float>.stride, as: Lanes.self)
                var weights = SamplingExp.exp(values - maxLogit)
                weights.replace(with: 0, where: .!(values .> -.infinity))
                block += weights
                chunks &+= 1
                if chunks == 64 {
                    sum += Double(block.sum())
                    block = Lanes()
                    chunks = 0
                }
                index &+= Lanes.scalarCount
            }
            sum += Double(block.sum())
        }
        while index < logits.count {
            if logits[index] > -.infinity { sum += Double(SamplingExp.exp(logits[index] - maxLogit)) }
            index &+= 1
        }
        return sum
    }

    /// Temperature and normalisation over the whole vocabulary (no filter): tokens at −∞ or
    /// NaN get probability 0. The weights are computed sixteen at a time, exactly as the
    /// one-at-a-time tail computes them.
    private static func weighAll(logits: UnsafeMutableBufferPointer<Float>, maxLogit: Float,
                                 temperature: Float) -> Survivors {
        typealias Lanes = SamplingExp.Lanes
        var sum: Double = 0
        var index = 0
        if let base = logits.baseAddress {
            let raw = UnsafeMutableRawPointer(base)
            var block = Lanes()   // summed in Float lanes for up to 1024 logits, then into `sum`
            var chunks = 0
            while index &+ Lanes.scalarCount <= logits.count {
                let offset = index &* MemoryLayout<Float>.stride
                let values = raw.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
                var weights = SamplingExp.exp((values - maxLogit) / temperature)
                weights.replace(with: 0, where: .!(values .> -.infinity))
                raw.storeBytes(of: weights, toByteOffset: offset, as: Lanes.self)
                block += weights
                chunks &+= 1
                if chunks == 64 {
                    sum += Double(block.sum())
                    block = Lanes()
                    chunks = 0
                }
                index &+= Lanes.scalarCount
            }
            sum += Double(block.sum())
        }
        while index < logits.count {
            let logit = logits[index]
            let weight = logit > -.infinity ? SamplingExp.exp((logit - maxLogit) / temperature) : 0
            logits[index] = weight
            sum += Double(weight)
            index &+= 1
        }
        let inverse = 1 / sum
        var result = Survivors(layout: .allTokens, positiveCount: 0, lastPositive: -1, total: 0)
        for index in logits.indices {
            let probability = Float(Double(logits[index]) * inverse)
            logits[index] = probability
            if probability > 0 {
                result.positiveCount &+= 1
                result.lastPositive = TokenID(truncatingIfNeeded: index)
                result.total += Double(probability)
            }
        }
        assert(result.positiveCount > 0, "the most likely token has weight 1")
        return result
    }

    /// Draws from `count` entries given by `token(i)` and `probability(i)`, in that order: the
    /// first entry whose running sum (in Double) exceeds `uniform` × `total`, where `total` is
    /// the sum of the probabilities in the same order. Zero-probability entries are never
    /// chosen; if rounding leaves the target unreached, the last positive entry is.
    /// `uniform` is in [0, 1).
    static func draw(uniform: Double, total: Double, count: Int,
                     token: (Int) -> TokenID, probability: (Int) -> Float) -> TokenID {
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
