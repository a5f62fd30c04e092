import TandemEngine
import TandemTokenizer

/// Generated tokens to text: whole UTF-8 characters only, stop strings cut off (the text
/// before one is kept, the rest dropped), as `Engine.runGeneration` does it.
struct TextCollector {
    private var detokenizer: StreamingDetokenizer
    private var matcher: StopMatcher
    private(set) var text = ""
    private(set) var stopped = false

    init(tokenizer: Tokenizer, stopStrings: [String]) throws {
        detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        matcher = try StopMatcher(stopStrings: stopStrings)
    }

    /// The text this token releases (possibly empty); sets `stopped` at a stop string.
    mutating func append(_ token: TokenID) throws -> String {
        let piece = try detokenizer.append(token)
        let (emit, stop) = matcher.append(piece)
        text += emit
        if stop { stopped = true }
        return emit
    }

    /// The held-back tail at the end of generation.
    mutating func finish() -> String {
        guard !stopped else { return "" }
        let tail = detokenizer.finish()
        let (emit, stop) = matcher.append(tail)
        stopped = stop
        let released = emit + (stop ? "" : matcher.flush())
        text += released
        return released
    }
}

extension Tokenizer {
    /// One token's text for log-probability listings (bytes of a split character are replaced).
    func pieceText(_ id: TokenID) -> String {
        (try? decodeBytes([id])).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
