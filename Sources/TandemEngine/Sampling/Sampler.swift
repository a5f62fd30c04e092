/// Chooses tokens from logits under `SamplingParameters`, with its own seeded random generator.
///
/// The chain is llama.cpp's default order (`common_sampler`): repetition penalty → top-k →
/// top-p → min-p → temperature → draw from the renormalised survivors. Temperature 0 is greedy:
/// the argmax of the penalised logits, lowest id on exact ties, using no randomness.
///
/// Randomness: one `Xoshiro256StarStar` draw per `sample` call that has two or more candidates
/// with positive probability, none otherwise (greedy, or one survivor). Same seed, logits and
/// recent tokens → same tokens. `sample(logits:recentTokens:)` and
/// `sample(from: transformedDistribution(logits:recentTokens:))` choose the same token and use
/// the same draws, so the device can sample from the distribution it also sends for verification.
///
/// Memory: the sampler keeps scratch buffers (candidate ids, sized to the vocabulary; the
/// recent-token window; a logit copy for `transformedDistribution`) and reuses them, so once
/// they have grown (first call; the window's first `repetitionPenaltyWindow` tokens) `sample`
/// allocates nothing, greedy or not (checked with a counting malloc over greedy, penalty,
/// temperature, top-k, top-p, min-p and llama.cpp's defaults).
///
/// A value type: copying a sampler forks its random stream (a speculative branch can sample on
/// a copy and be discarded). Not for concurrent use of one instance; give each sequence its own.
public struct Sampler: Sendable {
    /// The parameters, validated.
    public let parameters: SamplingParameters
    /// The random generator, seeded with `parameters.seed`.
    public private(set) var randomGenerator: Xoshiro256StarStar
    /// Candidate ids, reused: at least as long as the largest logit vector seen.
    private var candidateBuffer: [Int32] = []
    /// The recent-token window, sorted for deduplication; reused.
    private var recentTokenBuffer: [TokenID] = []
    /// A copy of the logits for `transformedDistribution`; reused.
    private var logitBuffer: [Float] = []

    /// A sampler for `parameters`, its generator seeded with `parameters.seed`.
    /// - Throws: the first out-of-range parameter (`SamplingParameters.validate()`).
    public init(parameters: SamplingParameters) throws(SamplingError) {
        try parameters.validate()
        self.parameters = parameters
        self.randomGenerator = Xoshiro256StarStar(seed: parameters.seed)
    }

    /// The next token for `logits` (one per vocabulary entry, the model's raw output).
    ///
    /// - Parameters:
    ///   - logits: used as scratch. Greedy: afterwards they hold the penalised logits.
    ///     Otherwise their contents afterwards are unspecified. Must be finite or −∞ (−∞
    ///     masks a token); NaN is never chosen.
    ///   - recentTokens: the sequence so far (prompt and generated), oldest first; the
    ///     repetition penalty looks at its last `repetitionPenaltyWindow` entries. Every id
    ///     must index `logits`.
    /// - Complexity: O(V). Greedy is a vectorised maximum; plain temperature and min-p sort
    ///   nothing; top-k is one selection pass; top-p without top-k sorts only around the end
    ///   of the nucleus. Over 151,936 logits on this project's shared 2-core machine (release,
    ///   `SamplingBenchmark`, under load): greedy 50–100 µs, top-k or min-p 100–150 µs, top-p
    ///   alone 0.3–0.5 ms (about 3 ms when the nucleus holds ten thousand tokens), plain
    ///   temperature 0.7–1 ms.
    public mutating func sample(logits: UnsafeMutableBufferPointer<Float>,
                                recentTokens: some Collection<TokenID>) -> TokenID {
        applyRepetitionPenalty(to: logits, recentTokens: recentTokens)
        if parameters.isGreedy { return Self.argmax(logits: UnsafeBufferPointer(logits)) }

        var candidates = takeCandidateBuffer(count: logits.count)
        defer { candidateBuffer = candidates }
        let parameters = parameters
        let survivors = candidates.withUnsafeMutableBufferPointer { candidates in
            SamplingChain.filter(logits: logits, candidates: candidates, parameters: parameters)
        }
        if survivors.positiveCount == 1 { return survivors.lastPositive }
        let uniform = randomGenerator.nextUnitInterval()
        switch survivors.layout {
        case .candidates(let count):
            return candidates.withUnsafeBufferPointer { ids in
                SamplingChain.draw(uniform: uniform, total: survivors.total, count: count,
                                   token: { ids[$0] }, probability: { logits[Int(ids[$0])] })
            }
        case .allTokens:
            return SamplingChain.draw(uniform: uniform, total: survivors.total, count: logits.count,
                                      token: { TokenID(truncatingIfNeeded: $0) }, probability: { logits[$0] })
        }
    }

    /// `sample(logits:recentTokens:)` on an array (which it overwrites the same way).
    public mutating func sample(logits: inout [Float], recentTokens: some Collection<TokenID>) -> TokenID {
        logits.withUnsafeMutableBufferPointer { sample(logits: $0, recentTokens: recentTokens) }
    }

    /// The distribution `sample` would draw from for these logits: the same penalty, filters
    /// and temperature, normalised. Greedy parameters give `TokenDistribution.certain(argmax)`.
    ///
    /// Uses no randomness and leaves `logits` untouched (it works on a reused copy). For lossless
    /// speculative sampling both sides need this: the target's p and the draft's q of the
    /// draft token, and `TokenDistribution.speculativeResidual` after a rejection.
    public mutating func transformedDistribution(logits: UnsafeBufferPointer<Float>,
                                                 recentTokens: some Collection<TokenID>) -> TokenDistribution {
        var scratch: [Float] = []
        swap(&scratch, &logitBuffer)
        defer { swap(&scratch, &logitBuffer) }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: logits)
        return scratch.withUnsafeMutableBufferPointer { logits in
            applyRepetitionPenalty(to: logits, recentTokens: recentTokens)
            if parameters.isGreedy { return .certain(Self.argmax(logits: UnsafeBufferPointer(logits))) }

            var candidates = takeCandidateBuffer(count: logits.count)
            defer { candidateBuffer = candidates }
            let parameters = parameters
            return candidates.withUnsafeMutableBufferPointer { candidates in
                let survivors = SamplingChain.filter(logits: logits, candidates: candidates, parameters: parameters)
                var tokens: [TokenID] = []
                var probabilities: [Float] = []
                tokens.reserveCapacity(survivors.positiveCount)
                probabilities.reserveCapacity(survivors.positiveCount)
                func add(_ id: TokenID) {
                    let probability = logits[Int(id)]
                    guard probability > 0 else { return }
                    tokens.append(id)
                    probabilities.append(probability)
                }
                switch survivors.layout {
                case .candidates(let count):
                    for id in candidates[0..<count] { add(id) }
                case .allTokens:
                    for index in logits.indices { add(TokenID(truncatingIfNeeded: index)) }
                }
                return TokenDistribution(tokens: tokens, probabilities: probabilities)
            }
        }
    }

    /// `transformedDistribution(logits:recentTokens:)` on an array.
    public mutating func transformedDistribution(logits: [Float], recentTokens: some Collection<TokenID>) -> TokenDistribution {
        logits.withUnsafeBufferPointer { transformedDistribution(logits: $0, recentTokens: recentTokens) }
    }

    /// Draws a token from `distribution` (for instance a speculative residual), with the same
    /// rule and the same use of randomness as `sample`: no draw when it has one token.
    public mutating func sample(from distribution: TokenDistribution) -> TokenID {
        if distribution.count == 1 { return distribution.tokens[0] }
        let uniform = randomGenerator.nextUnitInterval()
        return SamplingChain.draw(uniform: uniform, total: distribution.total, count: distribution.count,
                                  token: { distribution.tokens[$0] }, probability: { distribution.probabilities[$0] })
    }

    /// A uniform number in [0, 1) from this sampler's stream (one draw), for decisions that
    /// must be reproducible with the sampling, such as speculative acceptance u < p/q.
    public mutating func nextUniform() -> Double {
        randomGenerator.nextUnitInterval()
    }

    /// The id of the largest logit, the lowest id among exact ties. No penalty, no randomness.
    /// - Precondition: some logit is above −∞ (NaN never wins).
    public static func argmax(logits: UnsafeBufferPointer<Float>) -> TokenID {
        guard let index = SamplingChain.argmax(logits) else {
            preconditionFailure("every one of the \(logits.count) logits is -inf or NaN; there is no token to choose")
        }
        return TokenID(truncatingIfNeeded: index)
    }

    // MARK: Scratch buffers

    /// Applies the repetition penalty in place (nothing when it is off).
    private mutating func applyRepetitionPenalty(to logits: UnsafeMutableBufferPointer<Float>,
                                                 recentTokens: some Collection<TokenID>) {
        guard parameters.penalisesRepetition else { return }
        recentTokenBuffer.removeAll(keepingCapacity: true)
        recentTokenBuffer.append(contentsOf: recentTokens.suffix(parameters.repetitionPenaltyWindow))
        let penalty = parameters.repetitionPenalty
        recentTokenBuffer.withUnsafeMutableBufferPointer { tokens in
            PartialSort.sortAscending(tokens)
            SamplingChain.applyRepetitionPenalty(penalty, sortedTokens: tokens, to: logits)
        }
    }

    /// Moves the candidate buffer out of `self` (so it can be used while `self` is mutated),
    /// grown to at least `count`; the caller puts it back.
    private mutating func takeCandidateBuffer(count: Int) -> [Int32] {
        var buffer: [Int32] = []
        swap(&buffer, &candidateBuffer)
        if buffer.count < count { buffer = [Int32](repeating: 0, count: count) }
        return buffer
    }
}
