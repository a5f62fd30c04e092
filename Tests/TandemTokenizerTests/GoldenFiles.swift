import Foundation

/// Reference outputs from llama.cpp (build 0c1e570), in `shared/golden/` beside the repository.
struct GoldenFile: Decodable {
    struct TokenizerCase: Decodable {
        let text: String
        let ids: [Int32]
        let roundtrip: Bool
    }

    struct GreedyCase: Decodable {
        let prompt: String
        /// With special tokens parsed, no BOS.
        let promptIDs: [Int32]
        let continuationIDs: [Int32]

        enum CodingKeys: String, CodingKey {
            case prompt
            case promptIDs = "prompt_ids"
            case continuationIDs = "continuation_ids"
        }
    }

    let model: String
    let tokenizer: [TokenizerCase]
    let greedy: [GreedyCase]

    /// `shared/golden`, found from this source file: the repository's parent holds `shared/`.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // TandemTokenizerTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()   // repository root
        .deletingLastPathComponent()   // its parent
        .appendingPathComponent("shared/golden")

    /// Loads a golden file; throws (failing the test) when it is missing or malformed.
    static func load(_ name: String) throws -> GoldenFile {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MissingGoldenFile(path: url.path)
        }
        return try JSONDecoder().decode(GoldenFile.self, from: Data(contentsOf: url))
    }
}

struct MissingGoldenFile: Error, CustomStringConvertible {
    let path: String
    var description: String {
        "golden file \(path) is missing: shared/ must be checked out beside the repository"
    }
}
