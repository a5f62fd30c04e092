import Foundation
import TandemTestSupport
import Testing
import TandemGGUF

/// The three real models Tandem uses open, with the tables llama.cpp's gguf-py reports for
/// the same files (architecture, counts, type mix, first and last tensor).
@Suite struct RealModelTests {
    struct Expected: Sendable, CustomTestStringConvertible {
        var name: String
        var architecture: String
        var blockCount: Int
        var embeddingLength: Int
        var vocabulary: Int
        var keys: Int
        var typeCounts: [GGMLType: Int]
        var dataStart: Int
        var first: (name: String, shape: [Int], type: GGMLType, byteCount: Int)
        var last: (name: String, shape: [Int], type: GGMLType, byteCount: Int)
        var testDescription: String { name }
    }

    static let models: [Expected] = [
        Expected(name: "qwen2.5-coder-0.5b-instruct", architecture: "qwen2", blockCount: 24, embeddingLength: 896,
                 vocabulary: 151_936, keys: 26, typeCounts: [.f32: 121, .q5_0: 133, .q8_0: 13, .q4_K: 12, .q6_K: 12],
                 dataStart: 5_947_776,
                 first: ("output.weight", [896, 151_936], .q8_0, 144_643_072),
                 last: ("output_norm.weight", [896], .f32, 3584)),
        Expected(name: "qwen2.5-coder-1.5b-instruct", architecture: "qwen2", blockCount: 28, embeddingLength: 1536,
                 vocabulary: 151_936, keys: 26, typeCounts: [.f32: 141, .q4_K: 169, .q6_K: 29],
                 dataStart: 5_950_528,
                 first: ("output.weight", [1536, 151_936], .q6_K, 191_439_360),
                 last: ("output_norm.weight", [1536], .f32, 6144)),
        Expected(name: "smollm2-135m-instruct", architecture: "llama", blockCount: 30, embeddingLength: 576,
                 vocabulary: 49_152, keys: 33, typeCounts: [.f32: 61, .q4_1: 210, .q8_0: 1],
                 dataStart: 1_785_664,
                 first: ("token_embd.weight", [576, 49_152], .q8_0, 30_081_024),
                 last: ("output_norm.weight", [576], .f32, 2304)),
    ]

    @Test(arguments: models)
    func opens(_ expected: Expected) async throws {
        let path = try await modelPath(expected.name)
        let file = try GGUFFile(path: path)
        let arch = try file.metadata.string("general.architecture")
        #expect(arch == expected.architecture)
        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(file.metadata.count == expected.keys)
        #expect(try file.metadata.int("\(arch).block_count") == expected.blockCount)
        #expect(try file.metadata.int("\(arch).embedding_length") == expected.embeddingLength)
        #expect(try file.metadata.stringArray("tokenizer.ggml.tokens").count == expected.vocabulary)
        #expect(file.dataStart == expected.dataStart)

        var counts: [GGMLType: Int] = [:]
        for tensor in file.tensors { counts[tensor.type, default: 0] += 1 }
        #expect(counts == expected.typeCounts)
        #expect(file.tensors.count == expected.typeCounts.values.reduce(0, +))

        let first = file.tensors[0], last = file.tensors[file.tensors.count - 1]
        #expect(first.name == expected.first.name && first.shape == expected.first.shape)
        #expect(first.type == expected.first.type && first.byteCount == expected.first.byteCount)
        #expect(first.dataOffset == 0)
        #expect(last.name == expected.last.name && last.shape == expected.last.shape)
        #expect(last.type == expected.last.type && last.byteCount == expected.last.byteCount)
        // The last tensor ends exactly at the end of the file, and the data is all tensors.
        #expect(file.dataStart + last.dataOffset + last.byteCount == file.fileSize)
        #expect(file.tensorDataSize <= file.fileSize - file.dataStart)
        #expect(try file.requireTensor("blk.0.attn_q.weight").shape == [expected.embeddingLength, expected.embeddingLength])
        #expect(file.data(for: last).count == last.byteCount)
    }

    /// Opening the 1.5B model — mapping it and parsing and validating the whole header,
    /// 151,936 tokens and merges included. A benchmark: runs with TANDEM_BENCH=1.
    /// Release builds must take well under a second; debug builds only report the time.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TANDEM_BENCH"] != nil))
    func headerParseTime() async throws {
        let path = try await modelPath("qwen2.5-coder-1.5b-instruct")
        _ = try GGUFFile(path: path)  // warm the page cache
        var best = Duration.seconds(1000)
        for _ in 0..<5 {
            let clock = ContinuousClock()
            let start = clock.now
            let file = try GGUFFile(path: path)
            best = min(best, clock.now - start)
            #expect(file.tensors.count == 339)
        }
        print("GGUF header of qwen2.5-coder-1.5b-instruct: best of 5 opens \(best)")
        #if !DEBUG
        #expect(best < .milliseconds(500))
        #endif
    }
}
