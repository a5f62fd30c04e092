/// The token table: each token's stored text, kind, and the bytes it decodes to.
///
/// Immutable after construction; `Sendable`.
struct Vocabulary: Sendable {
    /// Token text as stored in GGUF (normal tokens in GPT-2 byte characters, special tokens raw).
    let texts: [String]
    let kinds: [TokenKind]
    let idForText: [String: TokenID]
    /// The bytes each token decodes to, concatenated; token `i` is `pieceOffsets[i] ..< pieceOffsets[i + 1]`.
    let pieceBytes: [UInt8]
    let pieceOffsets: [Int32]

    var count: Int { texts.count }

    /// Validates and indexes the token list (see `TokenKind` for what each kind decodes to).
    init(texts: [String], rawKinds: [Int], kindsKey: String) throws(TokenizerError) {
        guard rawKinds.count == texts.count else {
            throw .arrayLengthMismatch(key: kindsKey, count: rawKinds.count, expected: texts.count)
        }
        var kinds: [TokenKind] = []
        kinds.reserveCapacity(texts.count)
        var idForText: [String: TokenID] = [:]
        idForText.reserveCapacity(texts.count)
        var pieceBytes: [UInt8] = []
        pieceBytes.reserveCapacity(texts.count * 6)
        var pieceOffsets: [Int32] = [0]
        pieceOffsets.reserveCapacity(texts.count + 1)

        for (index, text) in texts.enumerated() {
            guard let raw = Int32(exactly: rawKinds[index]), let kind = TokenKind(rawValue: raw) else {
                throw .invalidTokenType(id: index, value: rawKinds[index])
            }
            guard !text.isEmpty else { throw .emptyToken(id: index) }
            if let existing = idForText.updateValue(TokenID(index), forKey: text) {
                throw .duplicateToken(text: text, firstID: Int(existing), secondID: index)
            }
            kinds.append(kind)
            switch kind {
            case .normal:
                guard let bytes = ByteLevel.decode(text) else { throw .tokenNotByteLevel(id: index, text: text) }
                pieceBytes.append(contentsOf: bytes)
            case .control, .unknown, .userDefined:
                pieceBytes.append(contentsOf: text.utf8)
            case .byte:
                guard let byte = Self.parseByteToken(text) else { throw .malformedByteToken(id: index, text: text) }
                pieceBytes.append(byte)
            case .unused, .undefined:
                break
            }
            pieceOffsets.append(Int32(pieceBytes.count))
        }
        self.texts = texts
        self.kinds = kinds
        self.idForText = idForText
        self.pieceBytes = pieceBytes
        self.pieceOffsets = pieceOffsets
    }

    /// The byte a `<0xXX>` token stands for.
    private static func parseByteToken(_ text: String) -> UInt8? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 6, utf8.starts(with: Array("<0x".utf8)), utf8[5] == UInt8(ascii: ">") else { return nil }
        return UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
    }
}
