/// Text ↔ token ids for a byte-level BPE vocabulary (GGUF `tokenizer.ggml.model` = `gpt2`),
/// producing the same ids as llama.cpp.
///
/// Encoding: special tokens spelled in the text are split out first (`SpecialTokenMatcher`),
/// each remaining run of text is split into words by the model's `PreTokenizer`, and each word's
/// UTF-8 bytes are merged by `BPEModel`. Decoding concatenates each token's bytes.
///
/// Load one with `Tokenizer(contentsOf:)` or `Tokenizer(gguf:)` (Tokenizer+GGUF.swift); loading
/// a 151k-token vocabulary takes a fraction of a second, so load once and share. Immutable and
/// `Sendable`: any number of tasks may encode and decode concurrently.
public final class Tokenizer: Sendable {
    /// How text is split into words before BPE.
    public let preTokenizer: PreTokenizer
    /// `tokenizer.ggml.bos_token_id`, nil when the model declares none.
    public let bosTokenID: TokenID?
    /// `tokenizer.ggml.eos_token_id`, nil when the model declares none.
    public let eosTokenID: TokenID?
    /// `tokenizer.ggml.add_bos_token`: whether the model expects BOS at the start of a prompt
    /// (false when the key is absent, llama.cpp's default for these pre-tokenizers). Encode
    /// never adds BOS on its own; pass `addBOS: tokenizer.addsBOS` to follow the model.
    public let addsBOS: Bool

    let vocabulary: Vocabulary
    let model: BPEModel
    let specialTokens: SpecialTokenMatcher

    init(preTokenizer: PreTokenizer, vocabulary: Vocabulary, model: BPEModel,
         bosTokenID: TokenID?, eosTokenID: TokenID?, addsBOS: Bool) {
        self.preTokenizer = preTokenizer
        self.vocabulary = vocabulary
        self.model = model
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.addsBOS = addsBOS
        self.specialTokens = SpecialTokenMatcher(texts: vocabulary.texts, kinds: vocabulary.kinds)
    }

    /// Number of tokens; valid ids are `0 ..< vocabularySize`.
    public var vocabularySize: Int { vocabulary.count }

    // MARK: Encoding

    /// The token ids of `text`, as llama.cpp's `llama_tokenize` gives them.
    ///
    /// - Parameters:
    ///   - parseSpecial: recognise control tokens spelled in the text (`<|im_start|>` becomes
    ///     one id). When false they are encoded as ordinary text. User-defined tokens are
    ///     recognised either way, as llama.cpp does.
    ///   - addBOS: put `bosTokenID` first. Throws `noBOSToken` when the model has none.
    /// - Throws: `unencodableByte` when the text holds a byte whose GPT-2 character the
    ///   vocabulary lacks (SmolLM2 lacks a few ASCII controls, e.g. U+0004); llama.cpp drops
    ///   such bytes silently.
    /// - Complexity: O(n log n) in the UTF-8 length, plus O(n × special tokens) for matching them.
    public func encode(_ text: String, parseSpecial: Bool = false, addBOS: Bool = false) throws(TokenizerError) -> [TokenID] {
        var output: [TokenID] = []
        if addBOS {
            guard let bosTokenID else { throw .noBOSToken }
            output.append(bosTokenID)
        }
        var text = text
        let failure: TokenizerError? = text.withUTF8 { bytes in
            encodeBytes(bytes, parseSpecial: parseSpecial, into: &output)
        }
        if let failure { throw failure }
        return output
    }

    private func encodeBytes(_ bytes: UnsafeBufferPointer<UInt8>, parseSpecial: Bool, into output: inout [TokenID]) -> TokenizerError? {
        output.reserveCapacity(output.count + bytes.count / 3)
        var scalarText = ScalarText()
        var wordEnds: [Int] = []
        var scratch = BPEModel.Scratch()
        for fragment in specialTokens.partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                output.append(id)
            case .text(let range):
                scalarText.load(bytes, range: range)
                wordEnds.removeAll(keepingCapacity: true)
                preTokenizer.split(scalarText, into: &wordEnds)
                var wordStart = 0
                for wordEnd in wordEnds {
                    let byteRange = scalarText.byteOffsets[wordStart]..<scalarText.byteOffsets[wordEnd]
                    let word = UnsafeBufferPointer(rebasing: bytes[byteRange])
                    if let bad = model.encode(word, into: &output, scratch: &scratch) {
                        return .unencodableByte(word[bad], offset: byteRange.lowerBound + bad)
                    }
                    wordStart = wordEnd
                }
            }
        }
        return nil
    }

    // MARK: Decoding

    /// The text of `ids`: their bytes concatenated, ill-formed UTF-8 replaced by U+FFFD.
    ///
    /// - Parameter renderSpecial: include the text of control and unknown tokens
    ///   (`<|im_end|>`); when false they contribute nothing. User-defined tokens are always
    ///   rendered; unused and undefined tokens never are (as llama.cpp's `token_to_piece`).
    /// - Throws: `tokenIDOutOfRange` for an id outside the vocabulary.
    public func decode(_ ids: some Sequence<TokenID>, renderSpecial: Bool = false) throws(TokenizerError) -> String {
        String(decoding: try decodeBytes(ids, renderSpecial: renderSpecial), as: UTF8.self)
    }

    /// The raw bytes of `ids` (see `decode`), which need not be well-formed UTF-8 when the ids
    /// split a character.
    public func decodeBytes(_ ids: some Sequence<TokenID>, renderSpecial: Bool = false) throws(TokenizerError) -> [UInt8] {
        var bytes: [UInt8] = []
        for id in ids { try appendBytes(of: id, renderSpecial: renderSpecial, to: &bytes) }
        return bytes
    }

    /// Appends the bytes token `id` decodes to (see `decode`).
    public func appendBytes(of id: TokenID, renderSpecial: Bool, to bytes: inout [UInt8]) throws(TokenizerError) {
        let index = try checkedIndex(id)
        if !renderSpecial, vocabulary.kinds[index].needsSpecialFlag { return }
        let start = Int(vocabulary.pieceOffsets[index]), end = Int(vocabulary.pieceOffsets[index + 1])
        bytes.append(contentsOf: vocabulary.pieceBytes[start..<end])
    }

    // MARK: Vocabulary

    /// The token's text as the vocabulary stores it: GPT-2 byte characters for normal tokens
    /// (`"Ġthe"`), the literal text for special tokens (`"<|im_end|>"`).
    public func tokenText(_ id: TokenID) throws(TokenizerError) -> String {
        vocabulary.texts[try checkedIndex(id)]
    }

    /// The token's kind (`tokenizer.ggml.token_type`).
    public func kind(of id: TokenID) throws(TokenizerError) -> TokenKind {
        vocabulary.kinds[try checkedIndex(id)]
    }

    /// True when `id` is a control token (`<|im_start|>`, `<|im_end|>`, `<|endoftext|>`...);
    /// false for every other id, including ids outside the vocabulary.
    public func isControl(_ id: TokenID) -> Bool {
        id >= 0 && Int(id) < vocabulary.count && vocabulary.kinds[Int(id)] == .control
    }

    /// The id of the token whose stored text is exactly `text` (see `tokenText`), if any.
    public func tokenID(forText text: String) -> TokenID? {
        vocabulary.idForText[text]
    }

    private func checkedIndex(_ id: TokenID) throws(TokenizerError) -> Int {
        guard id >= 0, Int(id) < vocabulary.count else { throw .tokenIDOutOfRange(id, vocabularySize: vocabulary.count) }
        return Int(id)
    }
}
