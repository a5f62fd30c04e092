extension PreTokenizer {
    /// Splits like llama.cpp's `LLAMA_VOCAB_PRE_TYPE_QWEN2`, whose single pattern is
    ///
    ///     (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])
    ///     |[^\r\n\p{L}\p{N}]?\p{L}+
    ///     |\p{N}
    ///     | ?[^\s\p{L}\p{N}]+[\r\n]*
    ///     |\s*[\r\n]+
    ///     |\s+(?!\S)
    ///     |\s+
    ///
    /// (Qwen's `tokenizer.json` writes the first alternative `(?i:'s|'t|'re|'ve|'m|'ll|'d)`.)
    /// llama.cpp has no hand-written splitter for this pattern: `unicode_regex_split` runs it
    /// through `std::regex` (ECMAScript: at each position the first alternative that matches
    /// wins, quantifiers are greedy and backtrack) over a "collapsed" text where every non-ASCII
    /// scalar is replaced by one byte standing for its class (letter, number, whitespace as
    /// `\v`, other). So only ASCII matters literally; everything else is its `ScalarClass`.
    /// This scanner tries the alternatives in the same order and resolves each backtracking
    /// case in closed form:
    /// - `\s*[\r\n]+` over a whitespace run ends just after the run's last `\r` or `\n`;
    /// - `\s+(?!\S)` takes the whole run at the end of the text, else all but its last scalar
    ///   (which then prefixes the following word through `[^\r\n\p{L}\p{N}]?\p{L}+`, or stands
    ///   alone), and fails on a single scalar followed by a non-space.
    /// Every scalar is consumed by some alternative, so the words tile the text.
    static func splitQwen2(_ scalars: [UInt32], _ classes: [ScalarClass], _ range: Range<Int>, into ends: inout [Int]) {
        let end = range.upperBound
        var position = range.lowerBound
        while position < end {
            let scalar = scalars[position]
            let scalarClass = classes[position]

            // '[sS] | '[tT] | '[mM] | '[dD] | '[rR][eE] | '[vV][eE] | '[lL][lL]
            if scalar == ASCII.apostrophe, position + 1 < end {
                let first = ASCII.lowercased(scalars[position + 1])
                if first == 0x73 || first == 0x74 || first == 0x6D || first == 0x64 {   // s t m d
                    position += 2
                    ends.append(position)
                    continue
                }
                if position + 2 < end {
                    let second = ASCII.lowercased(scalars[position + 2])
                    if (first == 0x72 && second == 0x65) || (first == 0x76 && second == 0x65)   // re ve
                        || (first == 0x6C && second == 0x6C) {                                 // ll
                        position += 3
                        ends.append(position)
                        continue
                    }
                }
            }

            // [^\r\n\p{L}\p{N}]?\p{L}+
            var wordEnd = position
            if scalarClass == .letter {
                wordEnd = position + 1
            } else if scalarClass != .number, !ASCII.isNewline(scalar), position + 1 < end, classes[position + 1] == .letter {
                wordEnd = position + 2
            }
            if wordEnd > position {
                while wordEnd < end, classes[wordEnd] == .letter { wordEnd += 1 }
                position = wordEnd
                ends.append(position)
                continue
            }

            // \p{N}
            if scalarClass == .number {
                position += 1
                ends.append(position)
                continue
            }

            // ' '?[^\s\p{L}\p{N}]+[\r\n]*
            var symbolStart = position
            if scalar == ASCII.space, position + 1 < end, classes[position + 1] == .other { symbolStart += 1 }
            if classes[symbolStart] == .other {
                var symbolEnd = symbolStart + 1
                while symbolEnd < end, classes[symbolEnd] == .other { symbolEnd += 1 }
                while symbolEnd < end, ASCII.isNewline(scalars[symbolEnd]) { symbolEnd += 1 }
                position = symbolEnd
                ends.append(position)
                continue
            }

            // Only whitespace is left here: scalarClass == .whitespace.
            var runEnd = position
            var lastNewline = -1
            while runEnd < end, classes[runEnd] == .whitespace {
                if ASCII.isNewline(scalars[runEnd]) { lastNewline = runEnd }
                runEnd += 1
            }
            if lastNewline >= 0 {
                position = lastNewline + 1                     // \s*[\r\n]+
            } else if runEnd - position > 1, runEnd < end {
                position = runEnd - 1                          // \s+(?!\S)
            } else {
                position = max(runEnd, position + 1)           // \s+(?!\S) at the end, or \s+
            }
            ends.append(position)
        }
    }
}
