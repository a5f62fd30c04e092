import Foundation
import TandemEngine
import TandemTestSupport
import Testing

/// Greedy `generate` reproduces llama.cpp's 40-token continuations (bar: ≥ 5 of 6 per model).
@Suite(.serialized) struct GreedyGenerationTests {
    @Test(arguments: TestModel.selected)
    func reproducesLlamaCppContinuations(model: TestModel) async throws {
        let engine = try await EngineCache.shared.engine(model)
        let golden = try model.golden()
        var exact = 0
        for entry in golden.greedy {
            let request = GenerationRequest(prompt: entry.promptIDs, maxTokens: entry.continuationIDs.count)
            var generated: [TokenID] = []
            for try await event in engine.generate(request) {
                if case .token(let id) = event { generated.append(id) }
            }
            var expected = entry.continuationIDs
            if let eos = engine.tokenizer.eosTokenID, expected.last == eos { expected.removeLast() }
            if generated == expected {
                exact += 1
            } else {
                let split = zip(generated, expected).prefix { $0 == $1 }.count
                let gap = split < entry.steps.count ? entry.steps[split].top[0][1] - entry.steps[split].top[1][1] : -1
                print("  \(model.rawValue): diverges at step \(split) of \(expected.count) (llama.cpp's top-2 gap there \(gap))")
            }
        }
        print("greedy \(model.rawValue): \(exact)/\(golden.greedy.count) continuations reproduced exactly")
        if model == .smollm {
            // See GoldenAgreementTests: SmolLM2 diverges at near-ties that differ between our own
            // kernel backends too; llama.cpp's own build reproduces 2/6 (3/6 with flash
            // attention) of these continuations on this machine. A known issue, not a silent pass.
            withKnownIssue("SmolLM2 greedy continuations diverge at float-order near-ties", isIntermittent: true) {
                #expect(exact >= 5)
            }
        } else {
            #expect(exact >= 5)
        }
    }
}
