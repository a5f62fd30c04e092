import TandemTestSupport
import Testing
import TandemTokenizer

/// Random text built from pieces that stress the pre-tokenizers and byte-level BPE.
enum RandomText {
    static let pools: [[String]] = [
        // ASCII words, contractions, code
        ["hello", "World", " the", "I'm", "we'LL", "'s", "'re", "don't", "x", "camelCase", "snake_case", "API"],
        ["{", "}", "()", "=>", "!=", "::", "->", "#", "$", "\\", "`", "\"", "@", "%", "&&", "||", "<", ">", "/*", "*/", ";"],
        // digits and other numbers
        ["0", "7", "42", "2024", "3.14", "1,000", "٣", "²", "½", "Ⅻ", "１２"],
        // whitespace kinds
        [" ", "  ", "\t", "\n", "\r\n", "\n\n", "    ", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{2009}", "\u{3000}", "\u{2028}", "\u{1680}"],
        // Latin-1 and other Latin
        ["é", "ß", "ÿ", "©", "«", "»", "¿", "naïve", "Ångström", "œ", "Ł"],
        // CJK, kana, hangul, other scripts
        ["中文", "测试", "日本語", "カタカナ", "ひらがな", "한국어", "ｶﾀｶﾅ", "Ελληνικά", "Русский", "العربية", "עברית", "हिन्दी", "ไทย"],
        // emoji: plain, skin tone, ZWJ sequences, flags, keycaps, variation selectors
        ["😀", "🚀", "👍🏽", "👨‍👩‍👧‍👦", "🧑🏻‍💻", "🏳️‍🌈", "🇫🇷", "🇯🇵", "1️⃣", "❤️", "✔︎"],
        // combining marks, alone and stacked
        ["e\u{301}", "a\u{308}\u{304}", "\u{301}", "n\u{303}", "\u{20DD}", "Z\u{35C}\u{361}"],
        // rare planes and symbols
        ["𝔘𝔫𝔦", "𝟘𝟙", "𠀋", "∑", "∀x", "→", "€", "™", "\u{FEFF}", "\u{200B}", "\u{E000}"],
    ]

    static func make(using generator: inout SeededGenerator) -> String {
        let pieceCount = Int.random(in: 1...24, using: &generator)
        var text = ""
        for _ in 0..<pieceCount {
            let pool = pools.randomElement(using: &generator)!
            text += pool.randomElement(using: &generator)!
        }
        return text
    }
}

@Suite("round trips")
struct RoundTripPropertyTests {
    static let casesPerModel = 400

    @Test("decode(encode(s)) == s and streaming yields s in whole scalars, for random text",
          arguments: TestModel.allCases)
    func randomText(model: TestModel) async throws {
        let tokenizer = try await loadTokenizer(model)
        var generator = SeededGenerator(seed: 0x7A4D_E11A)
        for index in 0..<Self.casesPerModel {
            let text = RandomText.make(using: &generator)
            let ids = try tokenizer.encode(text)
            let decoded = try tokenizer.decode(ids)
            #expect(Array(decoded.utf8) == Array(text.utf8), "\(model) case \(index): \(text.debugDescription) -> \(ids)")

            var stream = StreamingDetokenizer(tokenizer: tokenizer)
            var streamed: [UInt8] = []
            for id in ids {
                let piece = try stream.append(id)
                #expect(!piece.unicodeScalars.contains("\u{FFFD}"), "\(model) case \(index): partial character emitted")
                streamed += piece.utf8
            }
            #expect(!stream.hasPendingBytes)
            #expect(stream.finish().isEmpty)
            #expect(streamed == Array(text.utf8), "\(model) case \(index): streamed text differs")
        }
    }

    @Test("the pre-tokenizer's words tile the text", arguments: PreTokenizer.allCases)
    func wordsTile(preTokenizer: PreTokenizer) {
        var generator = SeededGenerator(seed: 99)
        for _ in 0..<300 {
            let text = RandomText.make(using: &generator)
            let words = preTokenizer.words(in: text)
            #expect(Array(words.joined().utf8) == Array(text.utf8))
            #expect(!words.contains(""))
        }
    }
}
