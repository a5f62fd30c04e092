import Foundation
import TandemEngine
import TandemKernels
import Testing

/// Batching and cache operations change nothing: N sequences in one call equal each alone;
/// truncating and re-running equals a fresh run; a fork continues like the original.
@Suite(.serialized) struct BatchAndCacheTests {
    /// The scalar reference backend sums in a fixed order, so results must be bit-identical.
    func referenceEngine() async throws -> Engine {
        try await EngineCache.shared.engine(.smollm, backend: .reference)
    }

    let prompts: [[TokenID]] = [
        [1, 9690, 198, 2683, 359, 253, 5356, 11173, 30, 2],
        [1604, 613, 5381, 30, 17, 34, 28],
        [504, 1695, 314, 253, 1834, 282, 3938, 1792, 42, 216, 34, 28, 216, 35, 28],
    ]

    func top(_ output: SequenceOutput) -> [[TokenLogProb]] { output.tokens.map(\.top) }

    @Test func batchOfSequencesEqualsEachAloneExactly() async throws {
        let engine = try await referenceEngine()
        let request = OutputRequest(rows: .all, distribution: .topK(5))
        // One sequence already has context, so positions differ between sequences.
        let warm = engine.makeCache()
        _ = try engine.forward([28, 29, 30], cache: warm, outputs: .cacheOnly)
        let warmAlone = warm.fork()
        let caches = [engine.makeCache(), warm, engine.makeCache()]
        let batched = try engine.forward(zip(prompts, caches).map { SequenceInput(cache: $1, tokens: $0, outputs: request) })
        let aloneCaches = [engine.makeCache(), warmAlone, engine.makeCache()]
        for (s, prompt) in prompts.enumerated() {
            let alone = try engine.forward(prompt, cache: aloneCaches[s], outputs: request)
            #expect(top(batched[s]) == top(alone), "sequence \(s)")
        }
        #expect(caches.map(\.length) == [10, 10, 15])
    }

    @Test func batchOfSequencesMatchesEachAloneOnTheFastKernels() async throws {
        let engine = try await EngineCache.shared.engine(.qwen05)
        let request = OutputRequest(rows: .all, distribution: .topK(3))
        let qwenPrompts = try ["def add(a, b):", "The capital of France is", "for i in range(10):\n    print("]
            .map { try engine.tokenizer.encode($0) }
        let batched = try engine.forward(qwenPrompts.map { SequenceInput(cache: engine.makeCache(), tokens: $0, outputs: request) })
        for (s, prompt) in qwenPrompts.enumerated() {
            let alone = try engine.forward(prompt, cache: engine.makeCache(), outputs: request)
            for (a, b) in zip(batched[s].tokens, alone.tokens) {
                #expect(a.top[0].id == b.top[0].id)
                // Row and token-interleaved kernels sum in different orders: same top-1, close log-probs.
                #expect(abs(a.top[0].logProb - b.top[0].logProb) < 0.05)
            }
        }
    }

    @Test func tailRowsAreTheLastRowsOfAll() async throws {
        let engine = try await referenceEngine()
        let all = try engine.forward(prompts[2], cache: engine.makeCache(), outputs: OutputRequest(rows: .all, distribution: .topK(5)))
        let tail = try engine.forward(prompts[2], cache: engine.makeCache(), outputs: OutputRequest(rows: .tail(3), distribution: .topK(5)))
        #expect(tail.tokens.map(\.index) == all.tokens.suffix(3).map(\.index))
        #expect(top(tail) == Array(top(all).suffix(3)))
        let more = try engine.forward([5, 6], cache: engine.makeCache(), outputs: OutputRequest(rows: .tail(9), distribution: .topK(2)))
        #expect(more.tokens.count == 2)
    }

    @Test func truncateAndRerunEqualsAFreshRun() async throws {
        let engine = try await referenceEngine()
        let request = OutputRequest(rows: .all, distribution: .topK(5))
        let cache = engine.makeCache()
        _ = try engine.forward(prompts[0], cache: cache, outputs: .cacheOnly)
        _ = try engine.forward([1604, 613, 5381], cache: cache, outputs: request)   // a draft that gets rejected
        cache.truncate(to: prompts[0].count)
        let rerun = try engine.forward(prompts[1], cache: cache, outputs: request)
        let fresh = engine.makeCache()
        _ = try engine.forward(prompts[0], cache: fresh, outputs: .cacheOnly)
        let expected = try engine.forward(prompts[1], cache: fresh, outputs: request)
        #expect(top(rerun) == top(expected))
        #expect(cache.length == fresh.length)
    }

    @Test func forkContinuesLikeTheOriginal() async throws {
        let engine = try await referenceEngine()
        let cache = engine.makeCache()
        _ = try engine.forward(prompts[2], cache: cache, outputs: .cacheOnly)
        let branch = cache.fork()
        let a = try engine.forward([11, 12], cache: cache, outputs: OutputRequest(rows: .all, distribution: .topK(4)))
        let b = try engine.forward([11, 12], cache: branch, outputs: OutputRequest(rows: .all, distribution: .topK(4)))
        #expect(top(a) == top(b))
        #expect(branch.memoryBytes > 0 && branch.memoryBytes == cache.memoryBytes)
    }

    @Test func lastLayerOutputThroughTheHeadGivesTheModelsDistribution() async throws {
        let engine = try await referenceEngine()
        let last = engine.configuration.layerCount - 1
        let output = try engine.forward(prompts[1], cache: engine.makeCache(),
                                        outputs: OutputRequest(rows: .last, distribution: .topK(5), hiddenState: true,
                                                               layerOutputs: [last, 3], attentionLayers: [last]))
        let token = try #require(output.tokens.first)
        #expect(token.layerOutputs.count == 2)
        #expect(try engine.distribution(fromLayerOutput: token.layerOutputs[0], topK: 5) == token.top)
        #expect(token.hiddenState?.count == engine.configuration.embeddingLength)
        let importance = try #require(output.attentionImportance)
        #expect(importance.count == prompts[1].count)
        // Each new token's softmax sums to 1 per head: total mass = heads × new tokens.
        let expected = Float(engine.configuration.headCount * prompts[1].count)
        #expect(abs(importance.reduce(0, +) - expected) < 1e-3)
    }

    @Test func badRequestsAreRefusedBeforeAnythingChanges() async throws {
        let engine = try await referenceEngine()
        let cache = engine.makeCache(maxLength: 8)
        _ = try engine.forward([1, 2, 3], cache: cache, outputs: .cacheOnly)
        #expect(throws: EngineError.contextFull(length: 3, adding: 6, limit: 8)) {
            try engine.forward([1, 2, 3, 4, 5, 6], cache: cache)
        }
        #expect(throws: EngineError.tokenOutOfRange(id: 49_152, vocabularySize: 49_152)) {
            try engine.forward([49_152], cache: cache)
        }
        #expect(throws: EngineError.tokenOutOfRange(id: -1, vocabularySize: 49_152)) {
            try engine.forward([-1], cache: cache)
        }
        #expect(throws: EngineError.self) {
            try engine.forward([SequenceInput(cache: cache, tokens: [1]), SequenceInput(cache: cache, tokens: [2])])
        }
        #expect(throws: EngineError.self) {
            try engine.forward([1], cache: cache, outputs: OutputRequest(layerOutputs: [99]))
        }
        #expect(throws: EngineError.self) {
            try engine.forward([1], cache: KVCache(layerCount: 2, kvDim: 8, maxLength: 8))
        }
        #expect(cache.length == 3)
    }
}
