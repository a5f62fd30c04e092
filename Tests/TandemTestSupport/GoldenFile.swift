import Foundation

/// Reference outputs from llama.cpp (build 0c1e570), in `shared/golden/` beside the repository.
public struct GoldenFile: Decodable, Sendable {
    public struct TokenizerCase: Decodable, Sendable {
        public let text: String
        public let ids: [Int32]
        public let roundtrip: Bool
    }

    /// One greedy step: the chosen id, its log-probability, and the top-10 `[id, logprob]`.
    public struct Step: Decodable, Sendable {
        public let id: Int32
        public let logprob: Double
        public let top: [[Double]]
    }

    public struct GreedyCase: Decodable, Sendable {
        public let prompt: String
        /// With special tokens parsed, no BOS.
        public let promptIDs: [Int32]
        public let continuationIDs: [Int32]
        public let steps: [Step]

        enum CodingKeys: String, CodingKey {
            case prompt, steps
            case promptIDs = "prompt_ids"
            case continuationIDs = "continuation_ids"
        }
    }

    public let model: String
    public let tokenizer: [TokenizerCase]
    public let greedy: [GreedyCase]

    /// `shared/golden`, found from this source file: the repository's parent holds `shared/`.
    public static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // TandemTestSupport
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()   // repository root
        .deletingLastPathComponent()   // its parent
        .appendingPathComponent("shared/golden")

    /// Loads a golden file; throws (failing the test) when it is missing or malformed.
    public static func load(_ name: String) throws -> GoldenFile {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MissingGoldenFile(path: url.path)
        }
        return try JSONDecoder().decode(GoldenFile.self, from: Data(contentsOf: url))
    }
}

public struct MissingGoldenFile: Error, CustomStringConvertible {
    public let path: String
    public var description: String {
        "golden file \(path) is missing: shared/ must be checked out beside the repository"
    }
}
