import Testing
import TandemGGUF

/// Malformed fixed header (magic, version, counts): each gives one exact typed error.
@Suite struct HeaderCorruptionTests {
    /// "GGUF", version, tensor count, metadata count, then `rest`.
    static func file(magic: String = "GGUF", version: UInt32 = 3, tensors: UInt64 = 0, keys: UInt64 = 0,
                     rest: [UInt8] = []) -> [UInt8] {
        var raw = RawGGUF()
        raw.raw(Array(magic.utf8))
        raw.u32(version)
        raw.u64(tensors)
        raw.u64(keys)
        raw.raw(rest)
        return raw.bytes
    }

    static let cases: [CorruptCase] = [
        CorruptCase(name: "empty file", bytes: [],
                    expected: .truncated(offset: 0, needed: 4, reading: "magic")),
        CorruptCase(name: "three bytes of magic", bytes: Array("GGU".utf8),
                    expected: .truncated(offset: 0, needed: 1, reading: "magic")),
        CorruptCase(name: "wrong magic", bytes: file(magic: "GGUG"),
                    expected: .badMagic(found: 0x4755_4747)),
        CorruptCase(name: "lower-case magic", bytes: file(magic: "gguf"),
                    expected: .badMagic(found: 0x6675_6767)),
        CorruptCase(name: "GGML-era magic", bytes: file(magic: "lmgg"),
                    expected: .badMagic(found: 0x6767_6D6C)),
        CorruptCase(name: "version cut short", bytes: Array("GGUF".utf8) + [3, 0],
                    expected: .truncated(offset: 4, needed: 2, reading: "version")),
        CorruptCase(name: "version 0", bytes: file(version: 0), expected: .unsupportedVersion(0)),
        CorruptCase(name: "version 1", bytes: file(version: 1), expected: .unsupportedVersion(1)),
        CorruptCase(name: "version 4", bytes: file(version: 4), expected: .unsupportedVersion(4)),
        CorruptCase(name: "version UInt32.max", bytes: file(version: .max), expected: .unsupportedVersion(.max)),
        CorruptCase(name: "big-endian version 3", bytes: file(version: UInt32(3).byteSwapped),
                    expected: .bigEndianNotSupported(version: 3)),
        CorruptCase(name: "big-endian version 2", bytes: file(version: UInt32(2).byteSwapped),
                    expected: .bigEndianNotSupported(version: 2)),
        CorruptCase(name: "tensor count cut short", bytes: Array(file().prefix(12)),
                    expected: .truncated(offset: 8, needed: 4, reading: "tensor count")),
        CorruptCase(name: "metadata count cut short", bytes: Array(file().prefix(23)),
                    expected: .truncated(offset: 16, needed: 1, reading: "metadata count")),
        CorruptCase(name: "tensor count UInt64.max", bytes: file(tensors: .max),
                    expected: .countTooLarge(what: "tensor", count: .max, offset: 8)),
        CorruptCase(name: "metadata count UInt64.max", bytes: file(keys: .max),
                    expected: .countTooLarge(what: "metadata", count: .max, offset: 16)),
        CorruptCase(name: "tensor count Int.max + 1", bytes: file(tensors: UInt64(Int.max) + 1),
                    expected: .countTooLarge(what: "tensor", count: UInt64(Int.max) + 1, offset: 8)),
        // 130 bytes follow the header: room for at most 10 minimal 13-byte pairs.
        CorruptCase(name: "metadata count one past what fits", bytes: file(keys: 11, rest: .init(repeating: 0, count: 130)),
                    expected: .countTooLarge(what: "metadata", count: 11, offset: 16)),
        // Exactly 10 fit: zero bytes read as 10 pairs ("" = uint8 0), and the second repeats the key.
        CorruptCase(name: "metadata count exactly what fits", bytes: file(keys: 10, rest: .init(repeating: 0, count: 130)),
                    expected: .duplicateKey("", offset: 24 + 13)),
        // 96 bytes: room for at most 3 minimal 32-byte tensor infos.
        CorruptCase(name: "tensor count one past what fits", bytes: file(tensors: 4, rest: .init(repeating: 0, count: 96)),
                    expected: .countTooLarge(what: "tensor", count: 4, offset: 8)),
        CorruptCase(name: "tensor count exactly what fits", bytes: file(tensors: 3, rest: .init(repeating: 0, count: 96)),
                    expected: .badDimensionCount(tensor: "", count: 0)),
        CorruptCase(name: "metadata promised, none present", bytes: file(keys: 1),
                    expected: .countTooLarge(what: "metadata", count: 1, offset: 16)),
        CorruptCase(name: "tensor promised, none present", bytes: file(tensors: 1),
                    expected: .countTooLarge(what: "tensor", count: 1, offset: 8)),
    ]

    @Test(arguments: cases)
    func rejected(_ corrupt: CorruptCase) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        #expect(try dir.error(corrupt.bytes) == corrupt.expected)
    }

    /// The smallest valid file: a header with no metadata and no tensors.
    @Test func headerOnlyIsValid() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        for version: UInt32 in [2, 3] {
            let file = try dir.open(Self.file(version: version)).get()
            #expect(file.version == version && file.tensors.isEmpty && file.metadata.count == 0)
        }
    }
}
