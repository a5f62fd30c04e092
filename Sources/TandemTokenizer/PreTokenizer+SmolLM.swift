extension PreTokenizer {
    /// Splits like llama.cpp's `LLAMA_VOCAB_PRE_TYPE_SMOLLM`, which applies two patterns in turn:
    ///
    ///     1.  \p{N}
    ///     2.  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
    ///
    /// Pass 1 cuts the text into single number scalars and the runs between them
    /// (`std::regex` over the collapsed text; unmatched runs become pieces too). Pass 2 splits
    /// each piece on its own with the GPT-2 pattern; llama.cpp evaluates it with its
    /// hand-written `unicode_regex_split_custom_gpt2`, which this follows, including its
    /// trailing `\s+` fallback for a lone whitespace scalar before a non-space and its
    /// case-sensitive contractions. "Followed by" never looks past the end of a piece, so
    /// a space before a digit is a word of its own (`" 5"` is `" "`, `"5"`).
    static func splitSmolLM(_ scalars: [UInt32], _ classes: [ScalarClass], into ends: inout [Int]) {
        var pieceStart = 0
        var position = 0
        while position < scalars.count {
            if classes[position] == .number {
                splitGPT2(scalars, classes, pieceStart..<position, into: &ends)
                ends.append(position + 1)
                pieceStart = position + 1
            }
            position += 1
        }
        splitGPT2(scalars, classes, pieceStart..<scalars.count, into: &ends)
    }

    /// The GPT-2 pattern over one piece, as `unicode_regex_split_custom_gpt2` evaluates it.
    private static func splitGPT2(_ scalars: [UInt32], _ classes: [ScalarClass], _ range: Range<Int>, into ends: inout [Int]) {
        let end = range.upperBound
        var position = range.lowerBound
        while position < end {
            let scalar = scalars[position]

            // 's | 't | 'm | 'd | 're | 've | 'll   (lowercase only)
            if scalar == ASCII.apostrophe, position + 1 < end {
                let first = scalars[position + 1]
                if first == 0x73 || first == 0x74 || first == 0x6D || first == 0x64 {   // s t m d
                    position += 2
                    ends.append(position)
                    continue
                }
                if position + 2 < end {
                    let second = scalars[position + 2]
                    if (first == 0x72 && second == 0x65) || (first == 0x76 && second == 0x65)   // re ve
                        || (first == 0x6C && second == 0x6C) {                                 // ll
                        position += 3
                        ends.append(position)
                        continue
                    }
                }
            }

            // ' '?\p{L}+ | ' '?\p{N}+ | ' '?[^\s\p{L}\p{N}]+ : the class after an optional space.
            let leadingSpace = scalar == ASCII.space
            let runStart = leadingSpace ? position + 1 : position
            if runStart < end, classes[runStart] != .whitespace {
                let runClass = classes[runStart]
                var runEnd = runStart + 1
                while runEnd < end, classes[runEnd] == runClass { runEnd += 1 }
                position = runEnd
                ends.append(position)
                continue
            }

            // \s+(?!\S), falling back to \s+
            var runEnd = position
            while runEnd < end, classes[runEnd] == .whitespace { runEnd += 1 }
            let count = runEnd - position
            if count > 1, runEnd < end {
                position = runEnd - 1
            } else if count > 0 {
                position = runEnd
            } else {
                position += 1   // no alternative matches: the scalar stands alone
            }
            ends.append(position)
        }
    }
}
