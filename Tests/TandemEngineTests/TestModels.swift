import Foundation
import TandemEngine
import TandemKernels
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

    /// All models, or those named in `TANDEM_TEST_MODELS` (comma-separated), for experiments.
    static var selected: [TestModel] {
        guard let names = ProcessInfo.processInfo.environment["TANDEM_TEST_MODELS"] else { return allCases }
        return allCases.filter { names.split(separator: ",").contains(Substring($0.rawValue)) }
    }
}

/// Engines load once per test run (fetching the model through the store when missing).
actor EngineCache {
    static let shared = EngineCache()
    private var engines: [String: Engine] = [:]

    /// `TANDEM_TEST_BACKEND` (reference, portable, avx2, avx512) overrides the default backend.
    func engine(_ model: TestModel, backend requested: KernelBackend? = nil) async throws -> Engine {
        let override = ProcessInfo.processInfo.environment["TANDEM_TEST_BACKEND"].flatMap(KernelBackend.init(rawValue:))
        let backend = requested ?? override ?? .best
        let key = "\(model.rawValue)/\(backend)"
        if let engine = engines[key] { return engine }
        let path = try await ModelStore().ensure(model.rawValue)
        let engine = try Engine(path: path, backend: backend)
        engines[key] = engine
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
