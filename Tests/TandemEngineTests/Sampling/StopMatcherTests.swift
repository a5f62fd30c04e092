import Testing
import TandemEngine

@Suite("stop strings in streamed text")
struct StopMatcherTests {
    struct Step: Equatable, CustomStringConvertible {
        var emit: String
        var stopped: Bool
        var description: String { "(\(emit.debugDescription), \(stopped))" }
    }

    /// Feeds `pieces` one by one and returns what each `append` gave.
    static func run(_ stops: [String], _ pieces: [String]) throws -> (steps: [Step], flushed: String) {
        var matcher = try StopMatcher(stopStrings: stops)
        let steps = pieces.map { piece in
            let result = matcher.append(piece)
            return Step(emit: result.emit, stopped: result.stopped)
        }
        return (steps, matcher.flush())
    }

    static func step(_ emit: String, _ stopped: Bool = false) -> Step { Step(emit: emit, stopped: stopped) }

    @Test("no stop strings: every piece passes straight through")
    func none() throws {
        let (steps, flushed) = try Self.run([], ["a", "<", "b"])
        #expect(steps == [Self.step("a"), Self.step("<"), Self.step("b")])
        #expect(flushed == "")
    }

    @Test("a stop string split across many pieces")
    func splitAcrossPieces() throws {
        let (steps, flushed) = try Self.run(["<END>"], ["Hello <", "E", "N", "D", ">", " never"])
        #expect(steps == [Self.step("Hello "), Self.step(""), Self.step(""), Self.step(""),
                          Self.step("", true), Self.step("", true)])
        #expect(flushed == "")
    }

    @Test("a partial prefix is held back, then released when it cannot match")
    func heldBackThenReleased() throws {
        var matcher = try StopMatcher(stopStrings: ["STOP"])
        #expect(matcher.append("ab ST") == ("ab ", false))
        #expect(matcher.heldBackText == "ST")
        #expect(matcher.append("O") == ("", false))
        #expect(matcher.heldBackText == "STO")
        #expect(matcher.append("x") == ("STOx", false))
        #expect(matcher.heldBackText == "")
        #expect(matcher.append("S") == ("", false))
        #expect(matcher.flush() == "S")
        #expect(!matcher.isStopped)
    }

    @Test("the release keeps a later suffix that could still start a match")
    func partialRelease() throws {
        // "SSTO" cannot be "STOP" from its first S, but "STO" from the second could be.
        var matcher = try StopMatcher(stopStrings: ["STOP"])
        #expect(matcher.append("xS") == ("x", false))
        #expect(matcher.append("STO") == ("S", false))
        #expect(matcher.append("P!") == ("", true))
    }

    @Test("stop strings with overlapping prefixes")
    func overlappingPrefixes() throws {
        let stops = ["</s>", "</stop>"]
        let (steps, _) = try Self.run(stops, ["a</s", "t", "op>", "b"])
        #expect(steps == [Self.step("a"), Self.step(""), Self.step("", true), Self.step("", true)])

        let (other, _) = try Self.run(stops, ["a</s", "x"])
        #expect(other == [Self.step("a"), Self.step("</sx")])

        let (shorter, _) = try Self.run(stops, ["a</s", ">b"])
        #expect(shorter == [Self.step("a"), Self.step("", true)])

        let (neither, flushed) = try Self.run(["abcd", "abx"], ["1ab", "c", "x", "ab"])
        #expect(neither == [Self.step("1"), Self.step(""), Self.step("abcx"), Self.step("")])
        #expect(flushed == "ab")
    }

    @Test("the stop string completed first wins, whatever the piece boundaries")
    func firstCompletedWins() throws {
        // "bc" completes before "abcd" could: same answer one piece or one character at a time.
        let whole = try Self.run(["abcd", "bc"], ["xabcd"])
        #expect(whole.steps == [Self.step("xa", true)])
        let byCharacter = try Self.run(["abcd", "bc"], ["x", "a", "b", "c", "d"])
        #expect(byCharacter.steps.map(\.emit).joined() == "xa")
        // Two completing at the same place: the longer (earlier start) wins.
        let sameEnd = try Self.run(["lo", "hello"], ["say hello"])
        #expect(sameEnd.steps == [Self.step("say ", true)])
        // Occurrences in one piece: the earlier one.
        let twoInOnePiece = try Self.run(["world", "lo w"], ["hello world"])
        #expect(twoInOnePiece.steps == [Self.step("hel", true)])
    }

    @Test("a match at the very start emits nothing", arguments: [
        ["<|im_end|>"], ["<|im_end|>trailing"], ["<", "|im_end|>"], ["<|im", "_", "end|", ">x"],
    ])
    func matchAtStart(pieces: [String]) throws {
        let (steps, flushed) = try Self.run(["<|im_end|>"], pieces)
        #expect(steps.map(\.emit).joined() == "")
        #expect(steps.last?.stopped == true)
        #expect(flushed == "")
    }

    @Test("unicode pieces: multi-byte stop strings, never a split character")
    func unicode() throws {
        let (arrow, _) = try Self.run(["→END"], ["α→", "EN", "D β"])
        #expect(arrow == [Self.step("α"), Self.step(""), Self.step("", true)])

        // An emoji with a skin-tone modifier arrives as two scalars.
        let (wave, _) = try Self.run(["👋🏽"], ["hi ", "👋", "🏽", "!"])
        #expect(wave == [Self.step("hi "), Self.step(""), Self.step("", true), Self.step("", true)])
        let (plainWave, flushed) = try Self.run(["👋🏽"], ["👋", "!", "👋"])
        #expect(plainWave == [Self.step(""), Self.step("👋!"), Self.step("")])
        #expect(flushed == "👋")

        // "è" and "é" share their first UTF-8 byte; "è" must not be held back for "é".
        let (accent, _) = try Self.run(["é"], ["è", "aé"])
        #expect(accent == [Self.step("è"), Self.step("a", true)])

        // Byte matching: a decomposed "e\u{301}" does not match the precomposed "é".
        let (decomposed, rest) = try Self.run(["é"], ["e\u{301}"])
        #expect(decomposed.map(\.emit).joined() + rest == "e\u{301}")
    }

    @Test("empty stop strings are rejected with their index")
    func emptyStopString() {
        #expect(throws: SamplingError.emptyStopString(index: 1)) { try StopMatcher(stopStrings: ["a", ""]) }
        #expect(throws: SamplingError.emptyStopString(index: 0)) { try StopCondition(strings: [""]).makeMatcher() }
    }

    /// The output must be the text up to the first completed stop string, however it is cut.
    @Test("random texts and random cuts agree with a whole-text reference")
    func randomCuts() throws {
        let alphabet: [Character] = ["a", "b", "<", "é", "→"]
        var generator = Xoshiro256StarStar(seed: 31)
        func randomString(_ length: Int) -> String {
            String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
        }
        for _ in 0..<2000 {
            let stops = (0..<Int(1 + generator.next() % 3)).map { _ in randomString(Int(1 + generator.next() % 3)) }
            let text = randomString(Int(generator.next() % 16))
            var pieces: [String] = []
            var current = ""
            for character in text {
                current.append(character)
                if generator.next() % 3 == 0 {
                    pieces.append(current)
                    current = ""
                }
            }
            pieces.append(current)

            var matcher = try StopMatcher(stopStrings: stops)
            var output = ""
            var stopped = false
            for piece in pieces {
                let result = matcher.append(piece)
                output += result.emit
                stopped = result.stopped
            }
            output += matcher.flush()

            let expected = Self.reference(stops: stops, text: text)
            #expect(output == expected.text, "stops \(stops) pieces \(pieces)")
            #expect(stopped == expected.stopped, "stops \(stops) pieces \(pieces)")
        }
    }

    /// Scans ends left to right; the first end where a stop string completes (the longest
    /// if several) cuts the text.
    static func reference(stops: [String], text: String) -> (text: String, stopped: Bool) {
        let bytes = Array(text.utf8)
        let stopBytes = stops.map { Array($0.utf8) }.sorted { $0.count > $1.count }
        for end in 0...bytes.count {
            for stop in stopBytes where stop.count <= end && Array(bytes[(end - stop.count)..<end]) == stop {
                return (String(decoding: bytes[..<(end - stop.count)], as: UTF8.self), true)
            }
        }
        return (text, false)
    }
}
