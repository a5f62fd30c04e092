/// Finds stop strings in text that arrives in pieces, emitting only text that can no longer be
/// part of one.
///
/// Each `append` returns the text that is now safe to show. A trailing part that could be the
/// start of a stop string is held back until the next piece settles it: released when it turns
/// out not to be a stop string, dropped when it completes one. On a match, `append` returns the
/// text before the stop string and `stopped == true`; the stop string and anything after it are
/// never emitted, and later calls return nothing. If the stream ends without a match, `flush()`
/// returns the held-back text. So the concatenation of all output is the stream up to the first
/// stop string (or all of it), as llama.cpp's server does with `stop`.
///
/// Matching is on UTF-8 bytes (exact, no Unicode normalisation), like llama.cpp. Pieces are
/// whole Unicode scalars (what `StreamingDetokenizer` produces), so every cut falls on a
/// scalar boundary. The stop string that is completed first in the stream wins (the longest,
/// if several end at the same byte), and it is reported as soon as it is complete; so the
/// result does not depend on how the text was cut into pieces.
///
/// Cost per `append`: O((held back + piece length) × total stop string length); the held-back
/// text is shorter than the longest stop string.
public struct StopMatcher: Sendable {
    /// The stop strings' UTF-8 bytes.
    private let stopStrings: [[UInt8]]
    /// Text received but not yet emitted: a suffix that is a proper prefix of some stop string.
    private var heldBack: [UInt8] = []
    /// Set once a stop string matched.
    public private(set) var isStopped = false

    /// A matcher for `stopStrings` (any number, including none).
    /// - Throws: `emptyStopString` if one is empty.
    public init(stopStrings: [String]) throws(SamplingError) {
        if let index = stopStrings.firstIndex(of: "") { throw .emptyStopString(index: index) }
        self.stopStrings = stopStrings.map { Array($0.utf8) }
    }

    /// The text currently held back as a possible start of a stop string.
    public var heldBackText: String { String(decoding: heldBack, as: UTF8.self) }

    /// Adds the next piece; returns the text now safe to emit and whether a stop string matched.
    /// After a match, returns `("", true)` and ignores the piece.
    public mutating func append(_ piece: String) -> (emit: String, stopped: Bool) {
        guard !isStopped else { return ("", true) }
        guard !stopStrings.isEmpty else { return (piece, false) }
        var text = heldBack
        text.append(contentsOf: piece.utf8)

        if let matchStart = earliestMatch(in: text) {
            isStopped = true
            heldBack = []
            return (String(decoding: text[..<matchStart], as: UTF8.self), true)
        }
        let keepFrom = partialMatchStart(in: text)
        heldBack = Array(text[keepFrom...])
        return (String(decoding: text[..<keepFrom], as: UTF8.self), false)
    }

    /// Ends the stream: returns the held-back text (empty after a match) and clears it.
    public mutating func flush() -> String {
        defer { heldBack = [] }
        return isStopped ? "" : String(decoding: heldBack, as: UTF8.self)
    }

    /// The start of the stop string occurrence that ends first in `text` (the longest one if
    /// several end at the same byte), if any.
    private func earliestMatch(in text: [UInt8]) -> Int? {
        var best: (end: Int, start: Int)?
        for stop in stopStrings where stop.count <= text.count {
            // This stop string's first occurrence is also the one that ends first.
            for start in 0...(text.count - stop.count) {
                let end = start + stop.count
                if let best, end > best.end { break }
                guard matches(stop, in: text, at: start, length: stop.count) else { continue }
                if let current = best, (current.end, current.start) <= (end, start) { break }
                best = (end, start)
                break
            }
        }
        return best?.start
    }

    /// The start of the longest suffix of `text` that is a proper prefix of some stop string
    /// (`text.count` when there is none). Text before it can never be part of a stop string.
    private func partialMatchStart(in text: [UInt8]) -> Int {
        var keepFrom = text.count
        for stop in stopStrings {
            // Suffixes of length 1 ..< stop.count; a longer suffix starts earlier.
            let longest = min(stop.count - 1, text.count)
            guard longest > 0 else { continue }
            for length in stride(from: longest, through: 1, by: -1) {
                let start = text.count - length
                guard start < keepFrom else { break }
                if matches(stop, in: text, at: start, length: length) {
                    keepFrom = start
                    break
                }
            }
        }
        return keepFrom
    }

    /// Whether `text[start ..< start + length]` equals the first `length` bytes of `stop`.
    private func matches(_ stop: [UInt8], in text: [UInt8], at start: Int, length: Int) -> Bool {
        for offset in 0..<length where text[start + offset] != stop[offset] { return false }
        return true
    }
}
