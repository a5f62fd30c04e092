import Foundation
import Testing
import TandemGGUF
import TandemTokenizer

/// Tokenizers built from tiny GGUF files written with `GGUFWriter`: merge order, tie-breaks and
/// every load-time error, without a real model.
@Suite("tiny vocabularies")
struct TinyVocabularyTests {
    /// The 256 byte characters (ids 0...255), then `extraTokens`, then `<|end|>` (control).
    static func metadata(model: String = "gpt2", pre: String = "qwen2", extraTokens: [String],
                         merges: [String]) -> [(String, GGUFValue)] {
        let tokens = ByteLevel.scalarForByte.map { String(Character($0)) } + extraTokens + ["<|end|>"]
        let types = Array(repeating: Int32(1), count: tokens.count - 1) + [3]
        return [
            ("tokenizer.ggml.model", .string(model)),
            ("tokenizer.ggml.pre", .string(pre)),
            ("tokenizer.ggml.tokens", .array(.string, tokens.map { .string($0) })),
            ("tokenizer.ggml.token_type", .array(.int32, types.map { .int32($0) })),
            ("tokenizer.ggml.merges", .array(.string, merges.map { .string($0) })),
            ("tokenizer.ggml.eos_token_id", .uint32(UInt32(tokens.count - 1))),
        ]
    }

    /// Writes the metadata to a temporary GGUF file and loads its tokenizer.
    static func load(_ metadata: [(String, GGUFValue)]) throws -> Tokenizer {
        var writer = GGUFWriter()
        for (key, value) in metadata { writer.set(key, value) }
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("tandem-tokenizer-\(UUID().uuidString).gguf")
        try Data(writer.serialized()).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try Tokenizer(contentsOf: url.path)
    }

    static func loadError(_ metadata: [(String, GGUFValue)]) -> TokenizerError? {
        do {
            _ = try load(metadata)
            return nil
        } catch let error as TokenizerError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    static let firstExtraID: TokenID = 256

    @Test("merges apply lowest rank first")
    func rankOrder() throws {
        // "abc": with "b c" ranked first the result is a + bc; with "a b" first, ab + c.
        let bcFirst = try Self.load(Self.metadata(extraTokens: ["bc", "ab"], merges: ["b c", "a b"]))
        #expect(try bcFirst.encode("abc") == [97, Self.firstExtraID])
        let abFirst = try Self.load(Self.metadata(extraTokens: ["bc", "ab"], merges: ["a b", "b c"]))
        #expect(try abFirst.encode("abc") == [Self.firstExtraID + 1, 99])
    }

    @Test("equal ranks merge leftmost first, and merged symbols merge again")
    func leftmostTieBreak() throws {
        let tokenizer = try Self.load(Self.metadata(extraTokens: ["aa", "aaa", "aaaa"], merges: ["a a", "aa a", "aa aa"]))
        let aa = Self.firstExtraID, aaa = aa + 1, aaaa = aa + 2
        #expect(try tokenizer.encode("aa") == [aa])
        // a·a·a: both pairs rank 0; the left one merges first (aa·a), then "aa a" gives aaa.
        // Merging the right one first would leave a·aa, which has no merge.
        #expect(try tokenizer.encode("aaa") == [aaa])
        // a·a·a·a → aa·a·a (leftmost) → aa·aa (the stale "aa a" candidate is skipped) → aaaa
        #expect(try tokenizer.encode("aaaa") == [aaaa])
        // a·a·a·a·a → aa·aa·a → aa·aaa ("aa a", rank 1, beats "aa aa", rank 2), as GPT-2's bpe()
        #expect(try tokenizer.encode("aaaaa") == [aa, aaa])
        #expect(try tokenizer.decode([aaa]) == "aaa")
    }

    @Test("control tokens in tiny vocabularies follow parseSpecial")
    func tinyControlToken() throws {
        let tokenizer = try Self.load(Self.metadata(extraTokens: [], merges: []))
        let end: TokenID = 256
        #expect(try tokenizer.encode("x<|end|>", parseSpecial: true) == [120, end])
        #expect(try tokenizer.encode("x<|end|>").count == 8)
        #expect(tokenizer.eosTokenID == end)
        #expect(tokenizer.bosTokenID == nil)
        #expect(throws: TokenizerError.noBOSToken) { try tokenizer.encode("x", addBOS: true) }
    }

    @Test("an unsupported tokenizer model is a typed error naming it")
    func unknownModel() {
        let error = Self.loadError(Self.metadata(model: "llama", extraTokens: [], merges: []))
        #expect(error == .unsupportedModel("llama"))
        #expect(error?.description.contains("'llama'") == true)
    }

    @Test("an unsupported pre-tokenizer is a typed error naming it")
    func unknownPreTokenizer() {
        let error = Self.loadError(Self.metadata(pre: "llama3", extraTokens: [], merges: []))
        #expect(error == .unsupportedPreTokenizer("llama3"))
        #expect(error?.description.contains("'llama3'") == true)
    }

    @Test("missing keys, bad merges and bad token tables are typed errors")
    func loadErrors() {
        var noMerges = Self.metadata(extraTokens: [], merges: [])
        noMerges.removeAll { $0.0 == "tokenizer.ggml.merges" }
        #expect(Self.loadError(noMerges) == .missingKey("tokenizer.ggml.merges"))

        var noPre = Self.metadata(extraTokens: [], merges: [])
        noPre.removeAll { $0.0 == "tokenizer.ggml.pre" }
        #expect(Self.loadError(noPre) == .missingKey("tokenizer.ggml.pre"))

        #expect(Self.loadError(Self.metadata(extraTokens: ["ab"], merges: ["ab"]))
            == .malformedMerge(rank: 0, text: "ab"))
        #expect(Self.loadError(Self.metadata(extraTokens: [], merges: ["a b"]))
            == .mergeSymbolNotInVocabulary(rank: 0, merge: "a b", symbol: "ab"))
        #expect(Self.loadError(Self.metadata(extraTokens: ["a"], merges: []))
            == .duplicateToken(text: "a", firstID: 97, secondID: 256))
        #expect(Self.loadError(Self.metadata(extraTokens: ["a中"], merges: []))
            == .tokenNotByteLevel(id: 256, text: "a中"))

        var badType = Self.metadata(extraTokens: [], merges: [])
        badType[3] = ("tokenizer.ggml.token_type", .array(.int32, Array(repeating: .int32(9), count: 257)))
        #expect(Self.loadError(badType) == .invalidTokenType(id: 0, value: 9))

        var shortTypes = Self.metadata(extraTokens: [], merges: [])
        shortTypes[3] = ("tokenizer.ggml.token_type", .array(.int32, [.int32(1)]))
        #expect(Self.loadError(shortTypes) == .arrayLengthMismatch(key: "tokenizer.ggml.token_type", count: 1, expected: 257))

        var badEOS = Self.metadata(extraTokens: [], merges: [])
        badEOS[5] = ("tokenizer.ggml.eos_token_id", .uint32(999))
        #expect(Self.loadError(badEOS) == .specialTokenOutOfRange(key: "tokenizer.ggml.eos_token_id", id: 999, vocabularySize: 257))

        var wrongType = Self.metadata(extraTokens: [], merges: [])
        wrongType[0] = ("tokenizer.ggml.model", .uint32(2))
        if case .wrongValueType(let key, _, _) = Self.loadError(wrongType) {
            #expect(key == "tokenizer.ggml.model")
        } else {
            Issue.record("expected wrongValueType")
        }
    }

    @Test("a file that is not GGUF is an unreadable-file error")
    func unreadableFile() {
        #expect(throws: TokenizerError.self) { try Tokenizer(contentsOf: "/nonexistent/model.gguf") }
    }
}
