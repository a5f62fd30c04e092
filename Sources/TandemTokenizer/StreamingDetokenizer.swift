/// Turns ids arriving one at a time into text, never emitting part of a character.
///
/// Byte-level tokens can end in the middle of a UTF-8 sequence (an emoji is often two or
/// three tokens). `append` returns only text made of complete scalars and holds back a
/// trailing sequence that is still a valid *prefix* of a scalar; `finish` flushes it. Bytes
/// that can never become valid (a stray continuation byte, a lead byte followed by a
/// non-continuation) are replaced by U+FFFD as soon as that is certain, exactly where
/// `Tokenizer.decode` would put them; a held-back prefix becomes U+FFFD only at `finish`.
/// So the concatenation of everything returned equals `decode` of all the ids.
///
/// Boundaries are Unicode scalars, not grapheme clusters: a ZWJ emoji sequence may arrive in
/// several pieces, each well-formed. A value type: copy it to fork a stream.
public struct StreamingDetokenizer: Sendable {
    public let tokenizer: Tokenizer
    /// Passed to `Tokenizer.appendBytes`: render control tokens' text or skip them.
    public let renderSpecial: Bool
    /// Bytes of an incomplete trailing scalar (at most 3).
    private var pending: [UInt8] = []

    public init(tokenizer: Tokenizer, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// True when bytes of an unfinished scalar are held back.
    public var hasPendingBytes: Bool { !pending.isEmpty }

    /// Adds one token; returns the text it completes (often empty).
    /// - Throws: `tokenIDOutOfRange`; the stream is unchanged then.
    public mutating func append(_ id: TokenID) throws(TokenizerError) -> String {
        try tokenizer.appendBytes(of: id, renderSpecial: renderSpecial, to: &pending)
        let complete = UTF8Boundary.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Adds several tokens; returns the text they complete.
    public mutating func append(contentsOf ids: some Sequence<TokenID>) throws(TokenizerError) -> String {
        var text = ""
        for id in ids { text += try append(id) }
        return text
    }

    /// Ends the stream: returns held-back bytes (as U+FFFD, since they are an unfinished
    /// scalar) and resets, so the detokenizer can start a new stream.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }
}

/// Where a byte buffer stops being safely decodable on its own.
enum UTF8Boundary {
    /// The length of the longest prefix of `bytes` after which no byte can change how the
    /// prefix decodes: everything except a trailing sequence that is an incomplete but still
    /// valid start of a scalar (per Unicode Table 3-7, Well-Formed UTF-8 Byte Sequences).
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        // A scalar is at most 4 bytes, so an unfinished one starts within the last 3.
        var start = count - 1
        while start >= 0, start >= count - 3 {
            let byte = bytes[start]
            if byte & 0xC0 != 0x80 {   // not a continuation byte: the last sequence starts here
                let needed = sequenceLength(lead: byte)
                let available = count - start
                guard needed > available else { return count }   // complete, or invalid anyway
                return isValidPrefix(bytes[start...]) ? start : count
            }
            start -= 1
        }
        return count   // only continuation bytes at the end: invalid, nothing to wait for
    }

    /// Bytes in a sequence starting with `lead`; 1 for ASCII and for bytes that cannot start one.
    private static func sequenceLength(lead: UInt8) -> Int {
        switch lead {
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 1
        }
    }

    /// Whether `prefix` (a lead byte and some continuation bytes) can still become a scalar.
    private static func isValidPrefix(_ prefix: ArraySlice<UInt8>) -> Bool {
        let lead = prefix[prefix.startIndex]
        for (offset, byte) in prefix.dropFirst().enumerated() {
            let range: ClosedRange<UInt8>
            if offset == 0 {
                switch lead {
                case 0xE0: range = 0xA0...0xBF
                case 0xED: range = 0x80...0x9F
                case 0xF0: range = 0x90...0xBF
                case 0xF4: range = 0x80...0x8F
                default: range = 0x80...0xBF
                }
            } else {
                range = 0x80...0xBF
            }
            guard range.contains(byte) else { return false }
        }
        return true
    }
}
