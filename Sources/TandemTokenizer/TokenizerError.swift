import TandemGGUF

/// A token id: an index into the vocabulary, `0 ..< Tokenizer.vocabularySize`.
///
/// 32 bits like llama.cpp's `llama_token`, so id arrays stay compact in batches and on the wire.
public typealias TokenID = Int32

/// Everything that can go wrong building or using a `Tokenizer`, each case saying what and where.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The GGUF file could not be opened or parsed.
    case unreadableFile(GGUFError)
    /// A required metadata key is absent.
    case missingKey(String)
    /// A metadata key holds a value of the wrong type.
    case wrongValueType(key: String, expected: String, found: String)
    /// `tokenizer.ggml.model` names a tokenizer other than byte-level BPE (`gpt2`).
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer this package does not implement.
    case unsupportedPreTokenizer(String)
    /// Two per-token arrays disagree on the vocabulary size.
    case arrayLengthMismatch(key: String, count: Int, expected: Int)
    /// `tokenizer.ggml.token_type` holds a value that is not a llama.cpp token type (0...6).
    case invalidTokenType(id: Int, value: Int)
    /// A vocabulary entry is the empty string.
    case emptyToken(id: Int)
    /// Two vocabulary entries have the same text.
    case duplicateToken(text: String, firstID: Int, secondID: Int)
    /// A `tokenizer.ggml.merges` entry is not two symbols separated by one space.
    case malformedMerge(rank: Int, text: String)
    /// A merge names a symbol, or produces a symbol, that is not in the vocabulary.
    case mergeSymbolNotInVocabulary(rank: Int, merge: String, symbol: String)
    /// A normal token's text contains a character outside GPT-2's 256-character byte alphabet.
    case tokenNotByteLevel(id: Int, text: String)
    /// A byte token's text is not of the form `<0xXX>`.
    case malformedByteToken(id: Int, text: String)
    /// A special-token metadata key (`tokenizer.ggml.bos_token_id`, ...) names an id outside the vocabulary.
    case specialTokenOutOfRange(key: String, id: Int, vocabularySize: Int)
    /// An id passed to decode or a lookup is outside the vocabulary.
    case tokenIDOutOfRange(TokenID, vocabularySize: Int)
    /// The text holds a byte the vocabulary has no token for (its GPT-2 byte character is missing).
    /// `offset` is the byte offset in the UTF-8 of the text being encoded.
    case unencodableByte(UInt8, offset: Int)
    /// BOS was requested but the model declares no `tokenizer.ggml.bos_token_id`.
    case noBOSToken

    public var description: String {
        switch self {
        case .unreadableFile(let error):
            "cannot read tokenizer from GGUF: \(error)"
        case .missingKey(let key):
            "tokenizer metadata key '\(key)' is missing"
        case .wrongValueType(let key, let expected, let found):
            "tokenizer metadata key '\(key)' is \(found), expected \(expected)"
        case .unsupportedModel(let model):
            "tokenizer.ggml.model is '\(model)'; only 'gpt2' (byte-level BPE) is supported"
        case .unsupportedPreTokenizer(let pre):
            "tokenizer.ggml.pre is '\(pre)'; supported pre-tokenizers: \(PreTokenizer.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))"
        case .arrayLengthMismatch(let key, let count, let expected):
            "'\(key)' has \(count) entries, expected \(expected) (one per token)"
        case .invalidTokenType(let id, let value):
            "token \(id) has token type \(value), expected 0...6"
        case .emptyToken(let id):
            "token \(id) has empty text"
        case .duplicateToken(let text, let firstID, let secondID):
            "tokens \(firstID) and \(secondID) have the same text '\(text)'"
        case .malformedMerge(let rank, let text):
            "merge \(rank) '\(text)' is not two symbols separated by a space"
        case .mergeSymbolNotInVocabulary(let rank, let merge, let symbol):
            "merge \(rank) '\(merge)' uses or makes '\(symbol)', which is not in the vocabulary"
        case .tokenNotByteLevel(let id, let text):
            "normal token \(id) '\(text)' has a character outside the GPT-2 byte alphabet"
        case .malformedByteToken(let id, let text):
            "byte token \(id) '\(text)' is not of the form <0xXX>"
        case .specialTokenOutOfRange(let key, let id, let vocabularySize):
            "'\(key)' is \(id), outside the vocabulary of \(vocabularySize) tokens"
        case .tokenIDOutOfRange(let id, let vocabularySize):
            "token id \(id) is outside the vocabulary of \(vocabularySize) tokens"
        case .unencodableByte(let byte, let offset):
            "byte 0x\(String(byte, radix: 16)) at UTF-8 offset \(offset) has no token in this vocabulary"
        case .noBOSToken:
            "BOS requested but the model has no tokenizer.ggml.bos_token_id"
        }
    }
}
