import TandemTestSupport
import Testing
import TandemTokenizer

@Suite("streaming detokenizer")
struct StreamingDetokenizerTests {
    /// Qwen's single-byte tokens, so tests can feed arbitrary byte sequences.
    static func byteTokens(_ tokenizer: Tokenizer, _ bytes: [UInt8]) throws -> [TokenID] {
        try bytes.map { byte in
            try #require(tokenizer.tokenID(forText: ByteLevel.encode([byte])))
        }
    }

    /// Feeds `bytes` one token per byte; returns what each append returned, then finish's result.
    static func stream(_ tokenizer: Tokenizer, _ bytes: [UInt8]) throws -> (pieces: [String], finished: String) {
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        let pieces = try byteTokens(tokenizer, bytes).map { try stream.append($0) }
        return (pieces, stream.finish())
    }

    @Test("a character split across tokens is emitted once complete")
    func holdsIncompleteCharacter() async throws {
        let tokenizer = try await loadTokenizer(.qwen05)
        let euro = try Self.stream(tokenizer, [0xE2, 0x82, 0xAC])
        #expect(euro.pieces == ["", "", "€"])
        #expect(euro.finished == "")
        let emoji = try Self.stream(tokenizer, Array("a😀b".utf8))
        #expect(emoji.pieces == ["a", "", "", "", "😀", "b"])
    }

    @Test("invalid bytes become U+FFFD at once; an unfinished character only at finish")
    func invalidBytes() async throws {
        let tokenizer = try await loadTokenizer(.qwen05)
        #expect(try Self.stream(tokenizer, [0x80]).pieces == ["\u{FFFD}"])
        #expect(try Self.stream(tokenizer, [0xFF, 0x41]).pieces == ["\u{FFFD}", "A"])
        let broken = try Self.stream(tokenizer, [0xE2, 0x82, 0x41])
        #expect(broken.pieces == ["", "", "\u{FFFD}A"])
        let truncated = try Self.stream(tokenizer, [0x41, 0xF0, 0x9F, 0x98])
        #expect(truncated.pieces == ["A", "", "", ""])
        #expect(truncated.finished == "\u{FFFD}")
        // 0xE0 0x80 can never start a scalar (overlong): not held back.
        #expect(try Self.stream(tokenizer, [0xE0, 0x80]).pieces == ["", "\u{FFFD}\u{FFFD}"])
    }

    @Test("streamed text always equals decode of the same ids, for arbitrary bytes")
    func matchesDecode() async throws {
        let tokenizer = try await loadTokenizer(.qwen05)
        var generator = SeededGenerator(seed: 5)
        let interesting: [UInt8] = [0x41, 0x20, 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xE2, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x9F, 0xA0]
        for _ in 0..<500 {
            let bytes = (0..<Int.random(in: 1...12, using: &generator)).map { _ in interesting.randomElement(using: &generator)! }
            let ids = try Self.byteTokens(tokenizer, bytes)
            var stream = StreamingDetokenizer(tokenizer: tokenizer)
            var streamed = ""
            for id in ids { streamed += try stream.append(id) }
            streamed += stream.finish()
            #expect(Array(streamed.utf8) == Array((try tokenizer.decode(ids)).utf8), "bytes \(bytes)")
        }
    }

    @Test("control tokens are skipped or rendered per renderSpecial; bad ids throw")
    func controlTokens() async throws {
        let tokenizer = try await loadTokenizer(.qwen05)
        let ids = try tokenizer.encode("Hi<|im_end|>", parseSpecial: true)
        var plain = StreamingDetokenizer(tokenizer: tokenizer)
        #expect(try plain.append(contentsOf: ids) == "Hi")
        var rendered = StreamingDetokenizer(tokenizer: tokenizer, renderSpecial: true)
        #expect(try rendered.append(contentsOf: ids) == "Hi<|im_end|>")
        #expect(throws: TokenizerError.self) { try plain.append(-5) }
    }
}
