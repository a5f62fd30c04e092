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
    /// without top-k: a vectorised exp per token, then only the nucleus (and a thin margin)
    /// is sorted (see `nucleus`).
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
            count = nucleus(logits: readOnly, candidates: candidates, maxLogit: maxLogit,
                            topP: parameters.topP, minLogit: minLogit)
        }
        // The survivors are a most-likely-first prefix (listed in any order). A short one is put
        // in id order; for a long one, a pass over the vocabulary that keeps what is at least as
        // likely as its least likely member is cheaper than sorting it.
        if count > 1024 {
            // At least as likely as the least likely survivor: a larger logit, or the same logit
            // and an id no larger. Tokens tied with it at larger ids are masked first, so a logit
            // comparison alone decides.
            var last = candidates[0]
            for id in candidates[1..<count] {
                let logit = logits[Int(id)], lastLogit = logits[Int(last)]
                if logit < lastLogit || (logit == lastLogit && id > last) { last = id }
            }
            let boundary = logits[Int(last)]
            for index in (Int(last) + 1)..<logits.count where logits[index] == boundary { logits[index] = -.infinity }
            return weighAll(logits: logits, maxLogit: maxLogit, temperature: parameters.temperature,
                            minimumLogit: boundary)
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

    /// Top-p (with min-p, if on) when top-k is off: writes the kept ids to `candidates` and
    /// returns how many, without sorting the vocabulary.
    ///
    /// The normaliser is one vectorised pass. Then the nucleus is looked for among the 64 most
    /// likely tokens (one selection pass), which is where it usually is. A larger nucleus is
    /// found with a histogram of weight by distance below the maximum (buckets of 1/4 logit,
    /// down to 32 below): the buckets before the one where the mass reaches `topP` are in the
    /// nucleus, and only a band of three buckets around that one is sorted and walked to find
    /// the exact end. If rounding puts the end outside the band, every token is sorted.
    /// The kept ids are returned in no particular order.
    private static func nucleus(logits: UnsafeBufferPointer<Float>, candidates: UnsafeMutableBufferPointer<Int32>,
                                maxLogit: Float, topP: Float, minLogit: Float) -> Int {
        // The candidate buffer (as many 32-bit slots as logits) holds the weights meanwhile;
        // the selection below overwrites the first `requested` of them.
        let weights = UnsafeMutableRawPointer(candidates.baseAddress!)
        let target = Double(topP) * weightSum(logits, maxLogit: maxLogit, storingWeightsIn: weights)
        let requested = min(64, logits.count)
        let selected = PartialSort.selectMostLikely(requested, logits: logits, into: candidates)
        if let length = prefixLength(logits: logits, sorted: candidates, count: selected, maxLogit: maxLogit,
                                     target: target, minLogit: minLogit) {
            return length
        }
        if selected < requested { return selected }   // every token seen

        for index in 0..<requested {   // restore the weights the selection overwrote
            let logit = logits[index]
            weights.storeBytes(of: logit > -.infinity ? SamplingExp.exp(logit - maxLogit) : 0,
                               toByteOffset: index &* MemoryLayout<Float>.stride, as: Float.self)
        }

        let bucketCount = 128   // 1 KiB of Doubles: small enough for the stack
        /// Quarter-logits below the maximum, rounded to nearest (by adding 1.5·2²³, which
        /// leaves the integer in the low mantissa bits), the last bucket holding the rest.
        /// `logit` must be above −∞.
        func bucket(_ logit: Float) -> Int {
            let scaled = min((maxLogit - logit) * 4, Float(bucketCount - 1))
            return Int((scaled + 12_582_912).bitPattern &- 0x4B40_0000)
        }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: bucketCount) { mass in
            mass.initialize(repeating: 0)
            for index in logits.indices where logits[index] > -.infinity {
                let slot = bucket(logits[index])
                if slot < bucketCount - 1 {
                    mass[slot] += Double(weights.load(fromByteOffset: index &* MemoryLayout<Float>.stride, as: Float.self))
                }
            }
            var lastBucket = 0
            var cumulative: Double = 0
            while lastBucket < bucketCount - 1 {
                cumulative += mass[lastBucket]
                if cumulative >= target { break }
                lastBucket &+= 1
            }
            // Buckets before the band are in the nucleus for sure; the band (the bucket where the
            // mass reaches the target and one either side, for rounding) is sorted and walked.
            let firstBand = max(lastBucket - 1, 0)
            let lastBand = min(lastBucket + 1, bucketCount - 1)
            var sure = 0
            var sureMass: Double = 0
            var minPCutsSurePart = false
            for index in logits.indices where logits[index] > -.infinity && bucket(logits[index]) < firstBand {
                // Slot `sure` ≤ `index`: its weight is read (when they are equal) before it is overwritten.
                sureMass += Double(weights.load(fromByteOffset: index &* MemoryLayout<Float>.stride, as: Float.self))
                if logits[index] < minLogit { minPCutsSurePart = true }
                candidates[sure] = Int32(truncatingIfNeeded: index)
                sure &+= 1
            }
            if minPCutsSurePart {
                // The min-p set is shorter than the nucleus: it is the answer.
                var kept = 0
                for index in logits.indices where logits[index] >= minLogit {
                    candidates[kept] = Int32(truncatingIfNeeded: index)
                    kept &+= 1
                }
                return kept
            }
            if sureMass < target {
                var collected = sure
                for index in logits.indices where logits[index] > -.infinity {
                    let slot = bucket(logits[index])
                    if slot >= firstBand && slot <= lastBand {
                        candidates[collected] = Int32(truncatingIfNeeded: index)
                        collected &+= 1
                    }
                }
                let band = UnsafeMutableBufferPointer(rebasing: candidates[sure..<collected])
                PartialSort.sortMostLikelyFirst(band, logits: logits)
                var cumulative = sureMass
                for position in band.indices {
                    let logit = logits[Int(band[position])]
                    if logit < minLogit { return sure + position }
                    cumulative += Double(SamplingExp.exp(logit - maxLogit))
                    if cumulative >= target { return sure + position + 1 }
                }
                if lastBand == bucketCount - 1 { return collected }   // every token seen
            }
            // Rounding put the end of the nucleus outside the band: sort every token.
            var collected = 0
            for index in logits.indices where logits[index] > -.infinity {
                candidates[collected] = Int32(truncatingIfNeeded: index)
                collected &+= 1
            }
            let pool = UnsafeMutableBufferPointer(rebasing: candidates[0..<collected])
            PartialSort.sortMostLikelyFirst(pool, logits: logits)
            return prefixLength(logits: logits, sorted: pool, count: collected, maxLogit: maxLogit,
                                target: target, minLogit: minLogit) ?? collected
        }
    }

    /// Σ exp(logit − max) over the logits above −∞ (NaN excluded), sixteen at a time; each
    /// weight is also stored as a Float at the logit's index in `weights` when given.
    private static func weightSum(_ logits: UnsafeBufferPointer<Float>, maxLogit: Float,
                                  storingWeightsIn weights: UnsafeMutableRawPointer?) -> Double {
        typealias Lanes = SamplingExp.Lanes
        var sum: Double = 0
        var index = 0
        if let base = logits.baseAddress {
            let raw = UnsafeRawPointer(base)
            var block = Lanes()   // summed in Float lanes for up to 1024 logits, then into `sum`
            var chunks = 0
            while index &+ Lanes.scalarCount <= logits.count {
                let values = raw.loadUnaligned(fromByteOffset: index &* MemoryLayout<Float>.stride, as: Lanes.self)
                var laneWeights = SamplingExp.exp(values - maxLogit)
                laneWeights.replace(with: 0, where: .!(values .> -.infinity))
                weights?.storeBytes(of: laneWeights, toByteOffset: index &* MemoryLayout<Float>.stride, as: Lanes.self)
                block += laneWeights
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
            let weight: Float = logits[index] > -.infinity ? SamplingExp.exp(logits[index] - maxLogit) : 0
            weights?.storeBytes(of: weight, toByteOffset: index &* MemoryLayout<Float>.stride, as: Float.self)
            sum += Double(weight)
            index &+= 1
        }
        return sum
    }

    /// Temperature and normalisation over the whole vocabulary. Kept: every token above −∞
    /// with a logit ≥ `minimumLogit` (NaN excluded); the rest get probability 0. The weights
    /// are computed sixteen at a time, exactly as the one-at-a-time tail does.
    private static func weighAll(logits: UnsafeMutableBufferPointer<Float>, maxLogit: Float, temperature: Float,
                                 minimumLogit: Float = -.infinity) -> Survivors {
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
                weights.replace(with: 0, where: .!((values .>= minimumLogit) .& (values .> -.infinity)))
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
            let weight = logit >= minimumLogit && logit > -.infinity ? SamplingExp.exp((logit - maxLogit) / temperature) : 0
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
