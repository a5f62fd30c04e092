import Foundation
import TandemEngine
import TandemModelStore
import Testing

/// The three models the engine is tested on, with the golden file made from each.
enum TestModel: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case smollm = "smollm2-135m-instruct"
    case qwen05 = "qwen2.5-coder-0.5b-instruct"
    case qwen15 = "qwen2.5-coder-1.5b-instruct"

    var goldenFileName: String {
        switch self {
        case .qwen05: "shared-qwen2.5-coder-0.5b.json"
        case .qwen15: "shared-qwen2.5-coder-1.5b.json"
        case .smollm: "shared-SmolLM2-135M-Instruct.Q4_1.json"
        }
    }

    var testDescription: String { rawValue }
}

/// Engines load once per test run (fetching the model through the store when missing).
actor EngineCache {
    static let shared = EngineCache()
    private var engines: [TestModel: Engine] = [:]

    func engine(_ model: TestModel) async throws -> Engine {
        if let engine = engines[model] { return engine }
        let path = try await ModelStore().ensure(model.rawValue)
        let engine = try Engine(path: path)
        engines[model] = engine
        return engine
    }
}

/// llama.cpp's reference outputs (shared/golden, beside the repository).
struct GoldenFile: Decodable {
    struct Step: Decodable {
        var id: Int32
        var logprob: Float
        var top: [[Double]]
    }

    struct Greedy: Decodable {
        var prompt: String
        var prompt_ids: [Int32]
        var continuation_ids: [Int32]
        var steps: [Step]
    }

    var greedy: [Greedy]

    static func load(_ model: TestModel) throws -> GoldenFile {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let url = root.appendingPathComponent("shared/golden/\(model.goldenFileName)")
        return try JSONDecoder().decode(GoldenFile.self, from: Data(contentsOf: url))
    }
}
