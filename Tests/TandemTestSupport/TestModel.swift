import Foundation
import TandemModelStore

/// The three models the tests run on, with the golden file made from each.
public enum TestModel: String, CaseIterable, Sendable, CustomStringConvertible {
    case smollm = "smollm2-135m-instruct"
    case qwen05 = "qwen2.5-coder-0.5b-instruct"
    case qwen15 = "qwen2.5-coder-1.5b-instruct"

    public var goldenFileName: String {
        switch self {
        case .qwen05: "shared-qwen2.5-coder-0.5b.json"
        case .qwen15: "shared-qwen2.5-coder-1.5b.json"
        case .smollm: "shared-SmolLM2-135M-Instruct.Q4_1.json"
        }
    }

    public var description: String { rawValue }

    /// All models, or those named in `TANDEM_TEST_MODELS` (comma-separated), for experiments.
    public static var selected: [TestModel] {
        guard let names = ProcessInfo.processInfo.environment["TANDEM_TEST_MODELS"] else { return allCases }
        return allCases.filter { names.split(separator: ",").contains(Substring($0.rawValue)) }
    }

    /// The model's file, fetched through the project's model store when it is not cached.
    public func path() async throws -> String {
        try await ModelStore().ensure(rawValue)
    }

    /// llama.cpp's reference outputs for this model.
    public func golden() throws -> GoldenFile {
        try GoldenFile.load(goldenFileName)
    }
}

/// The absolute path of a named model's GGUF file, fetching it when missing.
public func modelPath(_ name: String) async throws -> String {
    try await ModelStore().ensure(name)
}
