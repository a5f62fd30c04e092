import Foundation
import Testing
import TandemTestSupport
import TandemTokenizer

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
