/// The rule that splits text into words before BPE, named as GGUF's `tokenizer.ggml.pre` names it.
///
/// BPE then encodes each word on its own, so merges never cross a word boundary. Each case
/// reproduces exactly what llama.cpp does for that `tokenizer.ggml.pre` value (see the scanner
/// of each case for the pattern and the llama.cpp code it matches). Both are hand-written
/// scanners over Unicode scalars, one pass, O(n) in the text length.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// Qwen2 / Qwen2.5 (`LLAMA_VOCAB_PRE_TYPE_QWEN2`): see `splitQwen2`.
    case qwen2
    /// SmolLM / SmolLM2 (`LLAMA_VOCAB_PRE_TYPE_SMOLLM`): see `splitSmolLM`.
    case smollm

    /// The words of `text`, in order; their concatenation is `text`.
    ///
    /// This is what encode feeds to BPE for text with no special tokens in it.
    public func words(in text: String) -> [String] {
        let utf8 = Array(text.utf8)
        var scalarText = ScalarText()
        var ends: [Int] = []
        return utf8.withUnsafeBufferPointer { bytes in
            scalarText.load(bytes, range: 0..<bytes.count)
            split(scalarText, into: &ends)
            var words: [String] = []
            var start = 0
            for end in ends {
                let range = scalarText.byteOffsets[start]..<scalarText.byteOffsets[end]
                words.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
                start = end
            }
            return words
        }
    }

    /// Appends the end (exclusive scalar index) of each word of `text` to `ends`, in order;
    /// the last end is `text.count`. Appends nothing for empty text.
    func split(_ text: ScalarText, into ends: inout [Int]) {
        switch self {
        case .qwen2: Self.splitQwen2(text.scalars, text.classes, 0..<text.count, into: &ends)
        case .smollm: Self.splitSmolLM(text.scalars, text.classes, into: &ends)
        }
    }
}

/// ASCII scalar values the scanners test for.
enum ASCII {
    static let apostrophe: UInt32 = 0x27
    static let space: UInt32 = 0x20
    static let lineFeed: UInt32 = 0x0A
    static let carriageReturn: UInt32 = 0x0D

    /// `value` lowercased when it is an ASCII capital, else unchanged.
    @inline(__always)
    static func lowercased(_ value: UInt32) -> UInt32 {
        (0x41...0x5A).contains(value) ? value | 0x20 : value
    }

    @inline(__always)
    static func isNewline(_ value: UInt32) -> Bool { value == lineFeed || value == carriageReturn }
}
