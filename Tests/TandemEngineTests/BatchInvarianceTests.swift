import TandemEngine
import TandemModelStore
import TandemTestSupport
import TandemTokenizer
import Testing

/// A batch-invariant engine (the cloud's) gives every token bit-identical results whatever
/// else shares its call: one token at a time, a draft chunk alone, or packed with others.
@Suite struct BatchInvarianceTests {
    @Test func verificationPackedWithOthersEqualsItAloneAndStepByStep() async throws {
        let engine = try Engine(path: try await ModelStore().ensure(TestModel.qwen05.rawValue), threads: 2, batchInvariant: true)
        #expect(engine.batchInvariant)
        var random = SeededGenerator(seed: 7)
        let contexts: [[TokenID]] = [30, 3, 17].map { n in (0..<n).map { _ in TokenID.random(in: 100..<20000, using: &random) } }
        let drafts: [[TokenID]] = [4, 1, 8].map { n in (0..<n).map { _ in TokenID.random(in: 100..<20000, using: &random) } }
        let request = OutputRequest(rows: .all, distribution: .topK(5))
        // Packed: three sequences in one call.
        var caches: [KVCache] = []
        for context in contexts {
            let cache = engine.makeCache()
            _ = try engine.forward(context, cache: cache, outputs: .cacheOnly)
            caches.append(cache)
        }
        let packed = try engine.forward(zip(caches, drafts).map { SequenceInput(cache: $0, tokens: $1, outputs: request) })
        for (s, (context, draft)) in zip(contexts, drafts).enumerated() {
            // Alone: the whole context and draft in one call.
            let alone = try engine.forward(context + draft, cache: engine.makeCache(), outputs: request)
            #expect(packed[s].tokens.map(\.top) == Array(alone.tokens.suffix(draft.count)).map(\.top))
            // Step by step: the context, then one draft token per call (decode).
            let cache = engine.makeCache()
            _ = try engine.forward(context, cache: cache, outputs: .cacheOnly)
            for (i, token) in draft.enumerated() {
                let step = try engine.forward([token], cache: cache, outputs: OutputRequest(rows: .last, distribution: .topK(5)))
                #expect(step.tokens[0].top == packed[s].tokens[i].top, "sequence \(s) token \(i)")
            }
        }
    }
}
