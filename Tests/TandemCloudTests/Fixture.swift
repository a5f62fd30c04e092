import TandemEngine
import TandemTestSupport
import TandemTokenizer

/// The small real model, loaded once per test process (fetched through the model store).
let sharedEngine = Task { try Engine(path: try await TestModel.qwen05.path(), batchInvariant: true) }

func chatPrompt(_ engine: Engine, _ text: String) throws -> [TokenID] {
    try engine.tokenizer.encode(ChatTemplate.chatML.render([.user(text)], addGenerationPrompt: true), parseSpecial: true)
}

/// The engine alone: log-probability rows for `tokens` on a fresh cache, the last `count` rows.
func referenceRows(_ engine: Engine, _ tokens: [TokenID], last count: Int) throws -> [[Float]] {
    let output = try engine.forward(tokens, cache: engine.makeCache(), outputs: OutputRequest(rows: .all, distribution: .fullLogProbs))
    return output.tokens.suffix(count).map { $0.distribution! }
}

/// The engine alone: greedy continuation of `prompt`.
func greedyContinuation(_ engine: Engine, _ prompt: [TokenID], count: Int) throws -> [TokenID] {
    var tokens: [TokenID] = []
    try engine.runGeneration(GenerationRequest(prompt: prompt, maxTokens: count, stopTokens: []), cache: engine.makeCache()) {
        if case .token(let id) = $0 { tokens.append(id) }
    }
    return tokens
}
