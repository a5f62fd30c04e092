import Testing
import TandemGGUF

/// Malformed tensor tables: each gives one exact typed error naming the tensor.
///
/// Files here have no metadata unless a case sets `general.alignment`, so the first tensor
/// info starts at byte 24; a one-dimension info named "t" takes 33 bytes.
@Suite struct TensorTableCorruptionTests {
    struct Info {
        var name: String
        var dims: [UInt64]
        var type: UInt32
        var offset: UInt64
        init(_ name: String, _ dims: [UInt64], type: UInt32 = 0, offset: UInt64 = 0) {
            self.name = name; self.dims = dims; self.type = type; self.offset = offset
        }
    }

    /// Header, optional `general.alignment` (uint32), the infos, padding, `data` zero bytes.
    static func file(_ infos: [Info], data: Int, alignment: UInt32? = nil) -> [UInt8] {
        var raw = RawGGUF()
        raw.header(tensors: UInt64(infos.count), keys: alignment == nil ? 0 : 1)
        if let alignment { raw.pairU32("general.alignment", alignment) }
        for info in infos { raw.tensorInfo(info.name, dims: info.dims, type: info.type, offset: info.offset) }
        raw.pad(to: Int(alignment ?? 32))
        raw.zeros(data)
        return raw.bytes
    }

    static func one(_ dims: [UInt64], type: UInt32 = 0, offset: UInt64 = 0, data: Int = 64) -> [UInt8] {
        file([Info("t", dims, type: type, offset: offset)], data: data)
    }

    /// A table whose only info has `dimensionCount` dimensions declared, with 4 dims of 32 present.
    static func dimensionCount(_ count: UInt32) -> [UInt8] {
        var raw = RawGGUF()
        raw.header(tensors: 1, keys: 0)
        raw.tensorInfo(Array("t".utf8), dimensionCount: count, dims: [32, 32, 32, 32], type: 0, offset: 0)
        raw.pad(to: 32)
        return raw.bytes
    }

    static let max32 = UInt64(Int32.max)

    static let cases: [CorruptCase] = [
        CorruptCase(name: "name length UInt64.max", bytes: {
            var raw = RawGGUF(); raw.header(tensors: 1, keys: 0); raw.u64(.max); raw.zeros(40); return raw.bytes
        }(), expected: .countTooLarge(what: "string length of name of tensor 0", count: .max, offset: 24)),
        CorruptCase(name: "name not UTF-8", bytes: {
            var raw = RawGGUF(); raw.header(tensors: 1, keys: 0)
            raw.tensorInfo([0x74, 0xFF], dimensionCount: 1, dims: [8], type: 0, offset: 0); raw.pad(to: 32); raw.zeros(32)
            return raw.bytes
        }(), expected: .invalidUTF8(offset: 32, reading: "name of tensor 0")),
        CorruptCase(name: "0 dimensions", bytes: dimensionCount(0), expected: .badDimensionCount(tensor: "t", count: 0)),
        CorruptCase(name: "5 dimensions", bytes: dimensionCount(5), expected: .badDimensionCount(tensor: "t", count: 5)),
        CorruptCase(name: "UInt32.max dimensions", bytes: dimensionCount(.max),
                    expected: .badDimensionCount(tensor: "t", count: .max)),
        CorruptCase(name: "dimension of 0", bytes: one([32, 0]), expected: .badDimension(tensor: "t", index: 1, value: 0)),
        CorruptCase(name: "dimension UInt64.max", bytes: one([.max]), expected: .badDimension(tensor: "t", index: 0, value: .max)),
        CorruptCase(name: "dimension Int32.max + 1", bytes: one([1, 1, max32 + 1]),
                    expected: .badDimension(tensor: "t", index: 2, value: max32 + 1)),
        CorruptCase(name: "element count overflows (3 dims)", bytes: one([max32, max32, max32]),
                    expected: .elementCountOverflow(tensor: "t")),
        CorruptCase(name: "element count overflows (4 dims)", bytes: one([max32, 2, max32, max32]),
                    expected: .elementCountOverflow(tensor: "t")),
        CorruptCase(name: "byte count overflows (I64)", bytes: one([max32, max32], type: 27),
                    expected: .elementCountOverflow(tensor: "t")),
        CorruptCase(name: "2^62 bytes, no overflow, not in file", bytes: one([1 << 30, 1 << 30]),
                    expected: .tensorOutOfBounds(tensor: "t", start: 0, byteCount: 1 << 62, dataSize: 64)),
        CorruptCase(name: "retired type 4", bytes: one([32], type: 4), expected: .unknownTensorType(raw: 4, tensor: "t")),
        CorruptCase(name: "retired type 31", bytes: one([32], type: 31), expected: .unknownTensorType(raw: 31, tensor: "t")),
        CorruptCase(name: "retired type 36", bytes: one([32], type: 36), expected: .unknownTensorType(raw: 36, tensor: "t")),
        CorruptCase(name: "type past the last", bytes: one([32], type: 43), expected: .unknownTensorType(raw: 43, tensor: "t")),
        CorruptCase(name: "type UInt32.max", bytes: one([32], type: .max), expected: .unknownTensorType(raw: .max, tensor: "t")),
        CorruptCase(name: "Q4_0 row of 16", bytes: one([16], type: 2),
                    expected: .rowNotWholeBlocks(tensor: "t", type: .q4_0, rowLength: 16)),
        CorruptCase(name: "Q4_K rows of 32 (whole blocks only in total)", bytes: one([32, 8], type: 12),
                    expected: .rowNotWholeBlocks(tensor: "t", type: .q4_K, rowLength: 32)),
        CorruptCase(name: "offset 4 (misaligned)", bytes: one([8], offset: 4),
                    expected: .misalignedTensor(tensor: "t", offset: 4, alignment: 32)),
        CorruptCase(name: "offset UInt64.max", bytes: one([8], offset: .max),
                    expected: .misalignedTensor(tensor: "t", offset: .max, alignment: 32)),
        CorruptCase(name: "offset 32 with alignment 64", bytes: file([Info("t", [8], offset: 32)], data: 128, alignment: 64),
                    expected: .misalignedTensor(tensor: "t", offset: 32, alignment: 64)),
        CorruptCase(name: "tensor starts at the end of the data", bytes: one([8], offset: 32, data: 32),
                    expected: .tensorOutOfBounds(tensor: "t", start: 32, byteCount: 32, dataSize: 32)),
        CorruptCase(name: "tensor one byte past the end", bytes: one([8], offset: 0, data: 31),
                    expected: .tensorOutOfBounds(tensor: "t", start: 0, byteCount: 32, dataSize: 31)),
        CorruptCase(name: "offset 2^63", bytes: one([8], offset: 1 << 63, data: 32),
                    expected: .tensorOutOfBounds(tensor: "t", start: 1 << 63, byteCount: 32, dataSize: 32)),
        CorruptCase(name: "offset + size overflows UInt64", bytes: one([8], offset: UInt64.max - 31, data: 32),
                    expected: .tensorOutOfBounds(tensor: "t", start: UInt64.max - 31, byteCount: 32, dataSize: 32)),
        CorruptCase(name: "second tensor past the end", bytes: file([Info("a", [8]), Info("b", [8], offset: 32)], data: 63),
                    expected: .tensorOutOfBounds(tensor: "b", start: 32, byteCount: 32, dataSize: 63)),
        CorruptCase(name: "no data section at all", bytes: one([8], data: 0),
                    expected: .tensorOutOfBounds(tensor: "t", start: 0, byteCount: 32, dataSize: 0)),
        CorruptCase(name: "file ends before the padding", bytes: Array(one([8], data: 0).prefix(24 + 33)),
                    expected: .truncated(offset: 57, needed: 7, reading: "padding before tensor data")),
        CorruptCase(name: "overlap: second starts inside first", bytes: file([Info("a", [16]), Info("b", [8], offset: 32)], data: 96),
                    expected: .tensorsOverlap("a", "b")),
        CorruptCase(name: "overlap, listed in reverse order", bytes: file([Info("b", [8], offset: 32), Info("a", [16])], data: 96),
                    expected: .tensorsOverlap("a", "b")),
        CorruptCase(name: "overlap: two inside one", bytes: file([Info("a", [32]), Info("b", [8], offset: 32), Info("c", [8], offset: 96)], data: 128),
                    expected: .tensorsOverlap("a", "b")),
        CorruptCase(name: "overlap by one block of a quantised type", bytes: file([Info("q", [64], type: 8, offset: 0), Info("r", [8], offset: 64)], data: 128),
                    expected: .tensorsOverlap("q", "r")),
        CorruptCase(name: "duplicate tensor name", bytes: file([Info("t", [8]), Info("t", [8], offset: 32)], data: 64),
                    expected: .duplicateTensor("t", offset: 24 + 33)),
        CorruptCase(name: "duplicate tensor name, different shape", bytes: file([Info("x", [8]), Info("t", [8], offset: 32), Info("t", [4, 2], offset: 64)], data: 96),
                    expected: .duplicateTensor("t", offset: 24 + 33 + 33)),
    ]

    @Test(arguments: cases)
    func rejected(_ corrupt: CorruptCase) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        #expect(try dir.error(corrupt.bytes) == corrupt.expected)
    }

    /// Two tensors at the same offset overlap, whichever the table lists first.
    @Test func sameOffset() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let error = try dir.error(Self.file([Info("a", [8]), Info("b", [8])], data: 64))
        #expect(error == .tensorsOverlap("a", "b") || error == .tensorsOverlap("b", "a"))
    }

    /// Adjacent tensors with no padding between them (the default 32 divides 64) are fine.
    @Test func adjacentIsNotOverlap() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let file = try dir.open(Self.file([Info("a", [16]), Info("b", [8], offset: 64)], data: 96)).get()
        #expect(file.tensors.map(\.byteCount) == [64, 32])
    }

    /// Dimensions up to Int32.max are accepted when the product fits (and the data exists).
    @Test func largestDimension() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let error = try dir.error(Self.one([Self.max32], type: 24))  // I8: 2 GiB, not in the file
        #expect(error == .tensorOutOfBounds(tensor: "t", start: 0, byteCount: Int(Int32.max), dataSize: 64))
    }
}
