import TandemEngine
import TandemProtocol

/// A prompt run (in pieces), optionally scored, then tokens sampled one per step, streamed to
/// `emit`. Serves the OpenAI-style routes (own cache) and session generate (the session's).
final class GenerationJob: CloudJob, @unchecked Sendable {
    let id: Int
    let cache: KVCache
    /// Tokens run before the first sample; `feed[i]` sits at cache position `base + i`.
    let feed: [TokenID]
    /// Index in `feed` of the first token whose log-probability is returned, if any.
    let scoreFrom: Int?
    let request: CloudGenerationRequest
    let stopTokens: Set<TokenID>
    let segments: [Segment]
    let deadline: Double
    let submitted = ContinuousClock.now
    var started = false
    /// Index in the prompt of `feed[0]`.
    let promptOffset: Int
    private(set) var sampler: Sampler
    private var cursor = 0
    private var next: TokenID?
    private(set) var generated: [TokenID] = []
    /// Receives every event; the last is `.finished` or the error given to `onEnd`.
    let emit: @Sendable (CloudGenerationEvent) -> Void
    /// Called once at the end (finished: nil, failed: the error).
    let onEnd: (GenerationJob, (any Error)?) -> Void

    init(id: Int, cache: KVCache, feed: [TokenID], promptOffset: Int, request: CloudGenerationRequest,
         stopTokens: Set<TokenID>, sampler: Sampler, deadline: Double,
         emit: @escaping @Sendable (CloudGenerationEvent) -> Void, onEnd: @escaping (GenerationJob, (any Error)?) -> Void) {
        self.id = id
        self.cache = cache
        self.feed = feed
        self.promptOffset = promptOffset
        self.request = request
        self.stopTokens = stopTokens
        self.sampler = sampler
        self.deadline = deadline
        self.emit = emit
        self.onEnd = onEnd
        // Row i predicts feed[i + 1]: scoring prompt token j needs the row of token j - 1.
        if let from = request.promptLogprobsFrom {
            let first = max(0, from - 1 - promptOffset)
            scoreFrom = first
            segments = first > 0 ? [.prefill(first), .prefill(feed.count - first, rows: .all)] : [.prefill(feed.count, rows: .all)]
        } else {
            scoreFrom = nil
            segments = [.prefill(feed.count, rows: .last)]
        }
    }

    func take(_ entry: StepEntry) -> [TokenID] {
        if entry.kind == .decode { return [next!] }
        defer { cursor += entry.tokens }
        return Array(feed[cursor..<cursor + entry.tokens])
    }

    func receive(_ entry: StepEntry, _ output: SequenceOutput, metrics: inout CloudMetrics) -> JobProgress {
        guard entry.rows != .none else { return .running }
        let rows = output.tokens.map { $0.distribution ?? [] }
        if entry.kind == .prefill, entry.rows == .all {
            let firstIndex = cursor - entry.tokens
            var scored: [PromptTokenLogprob] = []
            for (offset, row) in rows.enumerated() where firstIndex + offset + 1 < feed.count {
                let index = firstIndex + offset + 1
                let token = feed[index]
                scored.append(PromptTokenLogprob(index: promptOffset + index, token: token, logprob: row[Int(token)],
                                                 rank: RowMath.rank(of: token, in: row), top: RowMath.top(row, k: request.promptTopK)))
            }
            if !scored.isEmpty { emit(.promptLogprobs(scored)) }
        }
        // The row after the whole prompt, or after a fed-back token, chooses the next token.
        guard entry.kind == .decode || (entry.finishesSegment && cursor == feed.count), let row = rows.last else {
            return .running
        }
        return sample(row, metrics: &metrics)
    }

    /// Chooses the next token from a row of log-probabilities (the sampler treats them as
    /// logits: same argmax, same softmax, as no repetition penalty is used).
    private func sample(_ row: [Float], metrics: inout CloudMetrics) -> JobProgress {
        if generated.count >= request.maxTokens { return finish(.length) }
        var scratch = row
        let token = sampler.sample(logits: &scratch, recentTokens: EmptyCollection<TokenID>())
        if stopTokens.contains(token) { return finish(.stop) }
        generated.append(token)
        metrics.generatedTokens += 1
        emit(.token(GeneratedToken(id: token, logprob: row[Int(token)], top: RowMath.top(row, k: request.topLogprobs))))
        if generated.count >= request.maxTokens { return finish(.length) }
        if cache.length + 1 > cache.maxLength { return finish(.contextFull) }
        next = token
        return .decode
    }

    private func finish(_ reason: CloudFinishReason) -> JobProgress {
        emit(.finished(reason))
        onEnd(self, nil)
        return .finished
    }

    func fail(_ error: any Error) {
        onEnd(self, error)
    }
}
