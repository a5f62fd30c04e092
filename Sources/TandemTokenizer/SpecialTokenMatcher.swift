/// Finds special tokens spelled out in text, before pre-tokenization, as llama.cpp's
/// `tokenizer_st_partition` does.
///
/// The candidates are the control, user-defined and unknown tokens, longest text first (ties by
/// id). For each candidate in turn, every remaining text fragment is searched left to right and
/// each occurrence becomes a token fragment, so a longer token wins over a shorter one it
/// contains. Control and unknown tokens take part only when the caller asks (`parseSpecial`);
/// user-defined tokens (Qwen's `<tool_call>`, `</tool_call>`) always do, as in llama.cpp and
/// Hugging Face `tokenizers`. Matching is on UTF-8 bytes, which cannot split a scalar
/// because every candidate is itself well-formed UTF-8. Cost: O(candidates × text length).
struct SpecialTokenMatcher: Sendable {
    struct Candidate: Sendable {
        let bytes: [UInt8]
        let id: TokenID
        /// Control or unknown: matched only with `parseSpecial`.
        let needsParseSpecial: Bool
    }

    /// A piece of the text: raw text for BPE (a byte range), or one special token.
    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(TokenID)
    }

    let candidates: [Candidate]

    init(texts: [String], kinds: [TokenKind]) {
        var candidates: [Candidate] = []
        for (index, kind) in kinds.enumerated() where kind.isSpecial {
            candidates.append(Candidate(bytes: Array(texts[index].utf8), id: TokenID(index),
                                        needsParseSpecial: kind.needsSpecialFlag))
        }
        candidates.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        self.candidates = candidates
    }

    /// `bytes` cut into raw-text and special-token fragments, in order. Empty text gives no fragments.
    func partition(_ bytes: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
        guard !bytes.isEmpty else { return [] }
        var fragments: [Fragment] = [.text(0..<bytes.count)]
        for candidate in candidates where parseSpecial || !candidate.needsParseSpecial {
            var split: [Fragment] = []
            var changed = false
            for fragment in fragments {
                guard case .text(let range) = fragment else {
                    split.append(fragment)
                    continue
                }
                var start = range.lowerBound
                while let match = Self.firstOccurrence(of: candidate.bytes, in: bytes, range: start..<range.upperBound) {
                    if match > start { split.append(.text(start..<match)) }
                    split.append(.token(candidate.id))
                    start = match + candidate.bytes.count
                    changed = true
                }
                if start < range.upperBound { split.append(.text(start..<range.upperBound)) }
            }
            if changed { fragments = split }
        }
        return fragments
    }

    private static func firstOccurrence(of needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, range: Range<Int>) -> Int? {
        let length = needle.count
        guard length > 0, range.count >= length else { return nil }
        let first = needle[0]
        var index = range.lowerBound
        let last = range.upperBound - length
        while index <= last {
            if haystack[index] == first {
                var offset = 1
                while offset < length, haystack[index + offset] == needle[offset] { offset += 1 }
                if offset == length { return index }
            }
            index += 1
        }
        return nil
    }
}
