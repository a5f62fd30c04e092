/// What a vocabulary entry is, from GGUF's `tokenizer.ggml.token_type` (llama.cpp's `llama_token_type`).
///
/// The kind decides how a token is matched in text and rendered on decode:
///
/// | kind | matched in text by encode | decoded as |
/// |---|---|---|
/// | `normal` | through BPE merges | its GPT-2 byte characters mapped back to bytes |
/// | `control`, `unknown` | only with `parseSpecial: true` | its text, only with `renderSpecial: true` |
/// | `userDefined` | always, before BPE (as llama.cpp does) | its text, always |
/// | `byte` | never | the byte its `<0xXX>` text names |
/// | `unused`, `undefined` | never | nothing |
public enum TokenKind: Int32, Sendable, CaseIterable {
    case undefined = 0
    case normal = 1
    case unknown = 2
    case control = 3
    case userDefined = 4
    case unused = 5
    case byte = 6

    /// True for the kinds llama.cpp splits out of text before BPE (its special-token cache):
    /// control, user-defined and unknown.
    var isSpecial: Bool { self == .control || self == .userDefined || self == .unknown }

    /// True for the kinds that need `parseSpecial` / `renderSpecial` (llama.cpp: CONTROL | UNKNOWN).
    var needsSpecialFlag: Bool { self == .control || self == .unknown }
}
