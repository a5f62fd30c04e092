import Testing
import TandemGGUF

/// Malformed key/value pairs: each gives one exact typed error naming the key and offset.
///
/// Files here have no tensors and one pair unless a case says otherwise. The header takes
/// bytes 0..<24; a key "k" takes 24..<33 and its type tag 33..<37, so its value starts at 37.
@Suite struct MetadataCorruptionTests {
    static let valueStart = 37

    /// A file of one pair `k` with raw type `type` and payload `payload`.
    static func pair(type: UInt32, _ payload: [UInt8], keys: UInt64 = 1) -> [UInt8] {
        var raw = RawGGUF()
        raw.header(tensors: 0, keys: keys)
        raw.pair("k", type: type, payload: payload)
        return raw.bytes
    }

    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { RawGGUF.le(value) }

    /// Array payload: element type, count, then element bytes.
    static func array(_ elementType: UInt32, count: UInt64, _ elements: [UInt8] = []) -> [UInt8] {
        le(elementType) + le(count) + elements
    }

    /// `depth` arrays nested in one another, the innermost an empty array of uint8.
    static func nestedArrays(depth: Int) -> [UInt8] {
        var payload = array(0, count: 0)
        for _ in 1..<depth { payload = array(9, count: 1, payload) }
        return payload
    }

    static func keyFile(_ keyBytes: [UInt8]) -> [UInt8] {
        var raw = RawGGUF()
        raw.header(tensors: 0, keys: 1)
        raw.string(keyBytes)
        raw.u32(0)
        raw.u8(0)
        return raw.bytes
    }

    static func stringValue(_ bytes: [UInt8]) -> [UInt8] { le(UInt64(bytes.count)) + bytes }

    static let invalidUTF8: [(String, [UInt8])] = [
        ("lone continuation byte", [0x80]),
        ("0xFF", [0x61, 0xFF]),
        ("overlong slash", [0xC0, 0xAF]),
        ("UTF-16 surrogate", [0xED, 0xA0, 0x80]),
        ("cut-off sequence", [0xE2, 0x82]),
        ("past U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
    ]

    static let cases: [CorruptCase] = {
        var cases: [CorruptCase] = [
            CorruptCase(name: "key length UInt64.max", bytes: {
                var raw = RawGGUF(); raw.header(tensors: 0, keys: 1); raw.u64(.max); raw.zeros(16); return raw.bytes
            }(), expected: .countTooLarge(what: "string length of key of metadata pair 0", count: .max, offset: 24)),
            CorruptCase(name: "key length one past the end", bytes: {
                var raw = RawGGUF(); raw.header(tensors: 0, keys: 1); raw.u64(6); raw.zeros(5); return raw.bytes
            }(), expected: .countTooLarge(what: "string length of key of metadata pair 0", count: 6, offset: 24)),
            CorruptCase(name: "key takes the rest of the file", bytes: {
                var raw = RawGGUF(); raw.header(tensors: 0, keys: 1); raw.string("abcde"); return raw.bytes
            }(), expected: .truncated(offset: 37, needed: 4, reading: "type of 'abcde'")),
            CorruptCase(name: "type tag cut short", bytes: {
                var raw = RawGGUF(); raw.header(tensors: 0, keys: 1); raw.string("kkkkkk"); raw.raw([8, 0]); return raw.bytes
            }(), expected: .truncated(offset: 38, needed: 2, reading: "type of 'kkkkkk'")),
            CorruptCase(name: "unknown value type 13", bytes: pair(type: 13, [0, 0, 0, 0]),
                        expected: .unknownValueType(raw: 13, key: "k", offset: 33)),
            CorruptCase(name: "unknown value type UInt32.max", bytes: pair(type: .max, [0, 0, 0, 0]),
                        expected: .unknownValueType(raw: .max, key: "k", offset: 33)),
            CorruptCase(name: "u64 value cut short", bytes: pair(type: 10, [1, 2, 3]),
                        expected: .truncated(offset: valueStart, needed: 5, reading: "value of 'k'")),
            CorruptCase(name: "f64 value missing", bytes: pair(type: 12, [], keys: 1) + [0],
                        expected: .truncated(offset: valueStart, needed: 7, reading: "value of 'k'")),
            CorruptCase(name: "bool byte 2", bytes: pair(type: 7, [2]),
                        expected: .valueOutOfRange(key: "k", value: "bool byte 2 at offset 37")),
            CorruptCase(name: "bool byte 0xFF in an array", bytes: pair(type: 9, array(7, count: 2, [1, 0xFF])),
                        expected: .valueOutOfRange(key: "k", value: "bool byte 255 at offset 50")),
            CorruptCase(name: "string length UInt64.max", bytes: pair(type: 8, le(UInt64.max) + [0, 0, 0, 0]),
                        expected: .countTooLarge(what: "string length of value of 'k'", count: .max, offset: valueStart)),
            CorruptCase(name: "string length one past the end", bytes: pair(type: 8, le(UInt64(5)) + [0x61, 0x62, 0x63, 0x64]),
                        expected: .countTooLarge(what: "string length of value of 'k'", count: 5, offset: valueStart)),
            CorruptCase(name: "array length UInt64.max", bytes: pair(type: 9, array(0, count: .max, [1, 2, 3])),
                        expected: .countTooLarge(what: "array element of 'k'", count: .max, offset: valueStart + 4)),
            CorruptCase(name: "u32 array one element past what fits", bytes: pair(type: 9, array(4, count: 3, .init(repeating: 0, count: 11))),
                        expected: .countTooLarge(what: "array element of 'k'", count: 3, offset: valueStart + 4)),
            CorruptCase(name: "string array one past what fits", bytes: pair(type: 9, array(8, count: 3, .init(repeating: 0, count: 16))),
                        expected: .countTooLarge(what: "array element of 'k'", count: 3, offset: valueStart + 4)),
            CorruptCase(name: "array of arrays, count near file size", bytes: pair(type: 9, array(9, count: 1 << 40, .init(repeating: 0, count: 24))),
                        expected: .countTooLarge(what: "array element of 'k'", count: 1 << 40, offset: valueStart + 4)),
            CorruptCase(name: "inner array length UInt64.max", bytes: pair(type: 9, array(9, count: 1, array(4, count: .max))),
                        expected: .countTooLarge(what: "array element of 'k'", count: .max, offset: valueStart + 16)),
            CorruptCase(name: "unknown array element type", bytes: pair(type: 9, array(13, count: 0)),
                        expected: .unknownValueType(raw: 13, key: "k", offset: valueStart)),
            CorruptCase(name: "unknown inner array element type", bytes: pair(type: 9, array(9, count: 1, array(99, count: 0))),
                        expected: .unknownValueType(raw: 99, key: "k", offset: valueStart + 12)),
            CorruptCase(name: "arrays nested 9 deep", bytes: pair(type: 9, nestedArrays(depth: 9)),
                        expected: .arrayNestingTooDeep(key: "k", offset: valueStart + 12 * 8)),
            CorruptCase(name: "array element cut short", bytes: pair(type: 9, array(5, count: 2, [1, 0, 0, 0, 2, 0])),
                        expected: .countTooLarge(what: "array element of 'k'", count: 2, offset: valueStart + 4)),
            CorruptCase(name: "duplicate key", bytes: {
                var raw = RawGGUF(); raw.header(tensors: 0, keys: 3)
                raw.pairU32("a", 1); raw.pairU32("k", 2); raw.pairString("k", "again"); return raw.bytes
            }(), expected: .duplicateKey("k", offset: 24 + 17 + 17)),
            CorruptCase(name: "duplicate key of another type, later", bytes: {
                var raw = RawGGUF(); raw.header(tensors: 0, keys: 3)
                raw.pairString("general.name", "x"); raw.pairU32("b", 1); raw.pairU32("general.name", 2); return raw.bytes
            }(), expected: .duplicateKey("general.name", offset: 24 + 33 + 17)),
        ]
        for (name, bytes) in invalidUTF8 {
            cases.append(CorruptCase(name: "key: \(name)", bytes: keyFile(bytes),
                                     expected: .invalidUTF8(offset: 32, reading: "key of metadata pair 0")))
            cases.append(CorruptCase(name: "string value: \(name)", bytes: pair(type: 8, stringValue(bytes)),
                                     expected: .invalidUTF8(offset: valueStart + 8, reading: "value of 'k'")))
            cases.append(CorruptCase(name: "string in array: \(name)",
                                     bytes: pair(type: 9, array(8, count: 2, stringValue([0x61]) + stringValue(bytes))),
                                     expected: .invalidUTF8(offset: valueStart + 12 + 9 + 8, reading: "value of 'k'")))
        }
        return cases
    }()

    @Test(arguments: cases)
    func rejected(_ corrupt: CorruptCase) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        #expect(try dir.error(corrupt.bytes) == corrupt.expected)
    }

    /// Counts exactly at the limit are fine: an array filling the rest of the file, empty
    /// strings, NUL inside strings, and arrays nested 8 deep.
    @Test func limitsThatAreValid() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let u8 = try dir.open(Self.pair(type: 9, Self.array(0, count: 5, [1, 2, 3, 4, 5]))).get()
        #expect(u8.metadata["k"] == .array(.uint8, (1...5).map { .uint8($0) }))

        let strings = try dir.open(Self.pair(type: 9, Self.array(8, count: 3, .init(repeating: 0, count: 24)))).get()
        #expect(try strings.metadata.stringArray("k") == ["", "", ""])

        let nul = try dir.open(Self.pair(type: 8, Self.stringValue([0x61, 0, 0x62]))).get()
        #expect(try nul.metadata.string("k") == "a\u{0}b")

        let deep = try dir.open(Self.pair(type: 9, Self.nestedArrays(depth: 8))).get()
        var value = try #require(deep.metadata["k"])
        var depth = 0
        while case .array(let type, let elements) = value {
            depth += 1
            if type == .array { value = elements[0] } else { #expect(type == .uint8 && elements.isEmpty); break }
        }
        #expect(depth == 8)
    }
}
