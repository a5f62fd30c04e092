import TandemTestSupport
import Testing
import TandemTokenizer

@Suite("special tokens")
struct SpecialTokenTests {
    static let qwenModels: [TestModel] = [.qwen05, .qwen15]

    @Test("<|im_start|> is one control token only with parseSpecial", arguments: qwenModels)
    func controlTokenParsing(model: TestModel) async throws {
        let tokenizer = try await loadTokenizer(model)
        #expect(try tokenizer.encode("<|im_start|>", parseSpecial: true) == [151644])
        let plain = try tokenizer.encode("<|im_start|>")
        #expect(plain.count > 1)
        #expect(!plain.contains(151644))
        #expect(try tokenizer.decode(plain) == "<|im_start|>")
        #expect(tokenizer.isControl(151644))
        #expect(try tokenizer.kind(of: 151644) == .control)
        #expect(try tokenizer.tokenText(151644) == "<|im_start|>")
        #expect(tokenizer.tokenID(forText: "<|im_end|>") == 151645)
    }

    @Test("user-defined tokens are recognised even without parseSpecial, as llama.cpp does", arguments: qwenModels)
    func userDefinedTokens(model: TestModel) async throws {
        let tokenizer = try await loadTokenizer(model)
        #expect(try tokenizer.kind(of: 151657) == .userDefined)
        #expect(try tokenizer.encode("<tool_call>") == [151657])
        let ids = try tokenizer.encode("a<tool_call>{}</tool_call>b")
        #expect(ids.first != 151657 && ids.contains(151657) && ids.contains(151658))
        // User-defined tokens are rendered even when control tokens are not.
        #expect(try tokenizer.decode(ids) == "a<tool_call>{}</tool_call>b")
        #expect(!tokenizer.isControl(151657))
    }

    @Test("special ids, vocabulary sizes and BOS handling")
    func specialIDs() async throws {
        let qwen = try await loadTokenizer(.qwen05)
        #expect(qwen.vocabularySize == 151_936)
        #expect(qwen.eosTokenID == 151_645)
        #expect(qwen.bosTokenID == 151_643)
        #expect(qwen.addsBOS == false)
        #expect(qwen.preTokenizer == .qwen2)
        #expect(try qwen.encode("Hi", addBOS: true) == [151_643] + (try qwen.encode("Hi")))
        #expect(try qwen.encode("Hi").count == 1)

        let smol = try await loadTokenizer(.smollm)
        #expect(smol.vocabularySize == 49_152)
        #expect(smol.bosTokenID == 1)
        #expect(smol.eosTokenID == 2)
        #expect(smol.addsBOS == false)
        #expect(smol.preTokenizer == .smollm)
        #expect(try smol.encode("<|im_end|>", parseSpecial: true) == [2])
    }

    @Test("decode renders control tokens only when asked; unknown ids throw")
    func decodeSpecial() async throws {
        let tokenizer = try await loadTokenizer(.qwen05)
        let ids = try tokenizer.encode("<|im_start|>user\nHi<|im_end|>", parseSpecial: true)
        #expect(ids.first == 151644 && ids.last == 151645)
        #expect(try tokenizer.decode(ids) == "user\nHi")
        #expect(try tokenizer.decode(ids, renderSpecial: true) == "<|im_start|>user\nHi<|im_end|>")
        #expect(throws: TokenizerError.tokenIDOutOfRange(151_936, vocabularySize: 151_936)) {
            try tokenizer.decode([151_936])
        }
        #expect(throws: TokenizerError.tokenIDOutOfRange(-1, vocabularySize: 151_936)) {
            try tokenizer.tokenText(-1)
        }
        #expect(!tokenizer.isControl(-1) && !tokenizer.isControl(1_000_000))
        // Unused padding tokens decode to nothing, as in llama.cpp.
        #expect(try tokenizer.kind(of: 151_665) == .unused)
        #expect(try tokenizer.decode([151_665], renderSpecial: true) == "")
    }

    @Test("a longer special token wins over a shorter one inside it, and adjacent ones split cleanly")
    func specialTokenPriority() async throws {
        let tokenizer = try await loadTokenizer(.qwen05)
        #expect(try tokenizer.encode("<|im_end|><|im_end|>", parseSpecial: true) == [151645, 151645])
        #expect(try tokenizer.encode("<|im_end|>\n", parseSpecial: true) == [151645, 198])
    }

    @Test("SmolLM2 lacks tokens for a few control bytes: encode throws instead of dropping them")
    func unencodableByte() async throws {
        let tokenizer = try await loadTokenizer(.smollm)
        #expect(throws: TokenizerError.unencodableByte(0x04, offset: 2)) {
            try tokenizer.encode("ab\u{04}c")
        }
        // Qwen's vocabulary covers all 256 bytes.
        let qwen = try await loadTokenizer(.qwen05)
        #expect(try qwen.decode(try qwen.encode("ab\u{04}c")) == "ab\u{04}c")
    }
}
