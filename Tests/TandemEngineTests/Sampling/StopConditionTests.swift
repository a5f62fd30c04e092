import Foundation
import Testing
import TandemEngine
import TandemGGUF
import TandemModelStore
import TandemTokenizer

@Suite("stop conditions, finish reasons and timings")
struct StopConditionTests {
    @Test("stop tokens and validation")
    func stopTokens() throws {
        let condition = StopCondition(tokenIDs: [151645, 151643], strings: ["```"])
        #expect(condition.isStopToken(151645))
        #expect(!condition.isStopToken(0))
        try condition.validate()
        #expect(!StopCondition.none.isStopToken(151645))
        #expect(throws: SamplingError.emptyStopString(index: 1)) { try StopCondition(strings: ["x", ""]).validate() }
        let data = try JSONEncoder().encode(condition)
        #expect(try JSONDecoder().decode(StopCondition.self, from: data) == condition)
    }

    /// A tokenizer over the 256 byte characters plus a few special tokens, written to a
    /// temporary GGUF file.
    static func tinyTokenizer(specials: [(text: String, type: Int32)], eos: String?) throws -> Tokenizer {
        let tokens = ByteLevel.scalarForByte.map { String(Character($0)) } + specials.map(\.text)
        let types = Array(repeating: Int32(1), count: 256) + specials.map(\.type)
        var writer = GGUFWriter()
        writer.set("tokenizer.ggml.model", .string("gpt2"))
        writer.set("tokenizer.ggml.pre", .string("qwen2"))
        writer.set("tokenizer.ggml.tokens", .array(.string, tokens.map { .string($0) }))
        writer.set("tokenizer.ggml.token_type", .array(.int32, types.map { .int32($0) }))
        writer.set("tokenizer.ggml.merges", .array(.string, []))
        if let eos, let index = tokens.firstIndex(of: eos) {
            writer.set("tokenizer.ggml.eos_token_id", .uint32(UInt32(index)))
        }
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("tandem-sampling-\(UUID().uuidString).gguf")
        try Data(writer.serialized()).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try Tokenizer(contentsOf: url.path)
    }

    @Test("end-of-generation tokens: EOS and llama.cpp's EOG texts, whatever their kind")
    func endOfGeneration() throws {
        // Ids 256...: <|im_start|> (control), <|im_end|> (control), <|endoftext|> (control),
        // <|end|> (stored as normal; llama.cpp promotes it), <eos> (control, the declared EOS).
        let tokenizer = try Self.tinyTokenizer(
            specials: [("<|im_start|>", 3), ("<|im_end|>", 3), ("<|endoftext|>", 3), ("<|end|>", 1), ("<eos>", 3)],
            eos: "<eos>")
        let condition = StopCondition(endOfGenerationOf: tokenizer, strings: ["\n\n"])
        #expect(condition.tokenIDs == [257, 258, 259, 260])
        #expect(condition.strings == ["\n\n"])

        let noEOS = try Self.tinyTokenizer(specials: [("<|im_start|>", 3)], eos: nil)
        #expect(StopCondition(endOfGenerationOf: noEOS).tokenIDs.isEmpty)
    }

    static let realModelCases: [(String, Set<TokenID>)] = [
        ("qwen2.5-coder-0.5b-instruct", [151643, 151645]),
        ("smollm2-135m-instruct", [0, 2]),
    ]

    @Test("end-of-generation tokens of the real models", arguments: realModelCases)
    func realModels(name: String, expected: Set<TokenID>) async throws {
        let tokenizer = try Tokenizer(contentsOf: try await ModelStore().ensure(name))
        let condition = StopCondition(endOfGenerationOf: tokenizer)
        #expect(condition.tokenIDs == expected)
        for id in condition.tokenIDs { #expect(tokenizer.isControl(id)) }
    }

    @Test("finish reasons encode as their names")
    func finishReasons() throws {
        #expect(FinishReason.allCases.map(\.rawValue) == ["stop", "stopString", "length", "contextFull", "cancelled"])
        let data = try JSONEncoder().encode([FinishReason.stopString, .length])
        #expect(String(decoding: data, as: UTF8.self) == #"["stopString","length"]"#)
        #expect(try JSONDecoder().decode([FinishReason].self, from: data) == [.stopString, .length])
    }

    @Test("timings compute tokens per second and encode them")
    func timings() throws {
        let timings = GenerationTimings(promptTokens: 128, promptMilliseconds: 400,
                                        generatedTokens: 65, generationMilliseconds: 1000)
        #expect(timings.promptTokensPerSecond == 320)
        #expect(timings.generationTokensPerSecond == 65)
        let fromDurations = GenerationTimings(promptTokens: 128, promptDuration: .milliseconds(400),
                                              generatedTokens: 65, generationDuration: .seconds(1))
        #expect(fromDurations == timings)

        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(timings), as: UTF8.self)
        #expect(json == #"{"generatedTokens":65,"generationMilliseconds":1000,"generationTokensPerSecond":65,"promptMilliseconds":400,"promptTokens":128,"promptTokensPerSecond":320}"#)
        #expect(try JSONDecoder().decode(GenerationTimings.self, from: Data(json.utf8)) == timings)

        let instant = GenerationTimings(promptTokens: 0, promptMilliseconds: 0, generatedTokens: 0, generationMilliseconds: 0)
        #expect(instant.promptTokensPerSecond == nil)
        #expect(instant.generationTokensPerSecond == nil)
        let instantJSON = String(decoding: try encoder.encode(instant), as: UTF8.self)
        #expect(!instantJSON.contains("PerSecond"))
    }
}
