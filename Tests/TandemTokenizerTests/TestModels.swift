import Foundation
import Testing
import TandemModelStore
import TandemTokenizer

/// The absolute path of a named model's GGUF file, fetching it when missing.
func modelPath(_ name: String) async throws -> String {
    try await ModelStore().ensure(name)
}

/// The models whose tokenizers the tests exercise, with the golden file made from each.
enum TestModel: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case qwen05 = "qwen2.5-coder-0.5b-instruct"
    case qwen15 = "qwen2.5-coder-1.5b-instruct"
    case smollm = "smollm2-135m-instruct"

    var goldenFileName: String {
        switch self {
        case .qwen05: "shared-qwen2.5-coder-0.5b.json"
        case .qwen15: "shared-qwen2.5-coder-1.5b.json"
        case .smollm: "shared-SmolLM2-135M-Instruct.Q4_1.json"
        }
    }

    var testDescription: String { rawValue }
}

/// Each model's tokenizer, loaded once per test run and shared by every test.
actor TokenizerCache {
    static let shared = TokenizerCache()
    private var loads: [TestModel: Task<Tokenizer, any Error>] = [:]

    func tokenizer(_ model: TestModel) async throws -> Tokenizer {
        if let load = loads[model] { return try await load.value }
        let load = Task<Tokenizer, any Error> {
            try Tokenizer(contentsOf: try await modelPath(model.rawValue))
        }
        loads[model] = load
        return try await load.value
    }
}

func loadTokenizer(_ model: TestModel) async throws -> Tokenizer {
    try await TokenizerCache.shared.tokenizer(model)
}
