import Testing
import TandemGGUF

/// The ggml type table: raw value, name, elements per block and bytes per block.
///
/// Numbers are ggml's: `type_traits` in ggml/src/ggml.c (`blck_size`, `type_size`) and the
/// `block_*` structs in ggml/src/ggml-common.h, whose sizes ggml `static_assert`s.
/// (gguf-py's GGML_QUANT_SIZES says Q8_1 is 40 bytes; ggml's `block_q8_1` is two halves
/// plus 32 int8 = 36, and ggml is what writes and reads the data.)
@Suite struct GGMLTypeTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var raw: UInt32, name: String, blockSize: Int, bytesPerBlock: Int
        var testDescription: String { name }
    }

    static let ggml: [Row] = [
        Row(raw: 0, name: "F32", blockSize: 1, bytesPerBlock: 4),
        Row(raw: 1, name: "F16", blockSize: 1, bytesPerBlock: 2),
        Row(raw: 2, name: "Q4_0", blockSize: 32, bytesPerBlock: 2 + 16),
        Row(raw: 3, name: "Q4_1", blockSize: 32, bytesPerBlock: 2 * 2 + 16),
        Row(raw: 6, name: "Q5_0", blockSize: 32, bytesPerBlock: 2 + 4 + 16),
        Row(raw: 7, name: "Q5_1", blockSize: 32, bytesPerBlock: 2 * 2 + 4 + 16),
        Row(raw: 8, name: "Q8_0", blockSize: 32, bytesPerBlock: 2 + 32),
        Row(raw: 9, name: "Q8_1", blockSize: 32, bytesPerBlock: 2 * 2 + 32),
        Row(raw: 10, name: "Q2_K", blockSize: 256, bytesPerBlock: 2 * 2 + 256 / 16 + 256 / 4),
        Row(raw: 11, name: "Q3_K", blockSize: 256, bytesPerBlock: 2 + 256 / 4 + 256 / 8 + 12),
        Row(raw: 12, name: "Q4_K", blockSize: 256, bytesPerBlock: 2 * 2 + 12 + 256 / 2),
        Row(raw: 13, name: "Q5_K", blockSize: 256, bytesPerBlock: 2 * 2 + 12 + 256 / 2 + 256 / 8),
        Row(raw: 14, name: "Q6_K", blockSize: 256, bytesPerBlock: 2 + 256 / 16 + 3 * 256 / 4),
        Row(raw: 15, name: "Q8_K", blockSize: 256, bytesPerBlock: 4 + 256 + 256 / 16 * 2),
        Row(raw: 16, name: "IQ2_XXS", blockSize: 256, bytesPerBlock: 2 + 256 / 8 * 2),
        Row(raw: 17, name: "IQ2_XS", blockSize: 256, bytesPerBlock: 2 + 256 / 8 * 2 + 256 / 32),
        Row(raw: 18, name: "IQ3_XXS", blockSize: 256, bytesPerBlock: 2 + 3 * (256 / 8)),
        Row(raw: 19, name: "IQ1_S", blockSize: 256, bytesPerBlock: 2 + 256 / 8 + 256 / 16),
        Row(raw: 20, name: "IQ4_NL", blockSize: 32, bytesPerBlock: 2 + 32 / 2),
        Row(raw: 21, name: "IQ3_S", blockSize: 256, bytesPerBlock: 2 + 13 * (256 / 32) + 256 / 64),
        Row(raw: 22, name: "IQ2_S", blockSize: 256, bytesPerBlock: 2 + 256 / 4 + 256 / 16),
        Row(raw: 23, name: "IQ4_XS", blockSize: 256, bytesPerBlock: 2 + 2 + 256 / 64 + 256 / 2),
        Row(raw: 24, name: "I8", blockSize: 1, bytesPerBlock: 1),
        Row(raw: 25, name: "I16", blockSize: 1, bytesPerBlock: 2),
        Row(raw: 26, name: "I32", blockSize: 1, bytesPerBlock: 4),
        Row(raw: 27, name: "I64", blockSize: 1, bytesPerBlock: 8),
        Row(raw: 28, name: "F64", blockSize: 1, bytesPerBlock: 8),
        Row(raw: 29, name: "IQ1_M", blockSize: 256, bytesPerBlock: 256 / 8 + 256 / 16 + 256 / 32),
        Row(raw: 30, name: "BF16", blockSize: 1, bytesPerBlock: 2),
        Row(raw: 34, name: "TQ1_0", blockSize: 256, bytesPerBlock: 2 + 256 / 64 + (256 - 4 * 256 / 64) / 5),
        Row(raw: 35, name: "TQ2_0", blockSize: 256, bytesPerBlock: 2 + 256 / 4),
        Row(raw: 39, name: "MXFP4", blockSize: 32, bytesPerBlock: 1 + 32 / 2),
        Row(raw: 40, name: "NVFP4", blockSize: 64, bytesPerBlock: 64 / 16 + 64 / 2),
        Row(raw: 41, name: "Q1_0", blockSize: 128, bytesPerBlock: 2 + 128 / 8),
        Row(raw: 42, name: "Q2_0", blockSize: 64, bytesPerBlock: 2 + 64 / 4),
    ]

    @Test(arguments: ggml)
    func matchesGGML(_ row: Row) throws {
        let type = try #require(GGMLType(rawValue: row.raw))
        #expect(type.name == row.name)
        #expect(type.description == row.name)
        #expect(type.blockSize == row.blockSize)
        #expect(type.bytesPerBlock == row.bytesPerBlock)
    }

    /// The table above is complete: every case is in it, and every number not in it is
    /// rejected (the retired 4, 5, 31–33, 36–38, and anything past the last type).
    @Test func tableIsComplete() {
        #expect(Set(GGMLType.allCases.map(\.rawValue)) == Set(Self.ggml.map(\.raw)))
        for raw in [UInt32(4), 5, 31, 32, 33, 36, 37, 38, 43, 1000, .max] {
            #expect(GGMLType(rawValue: raw) == nil, "raw \(raw)")
        }
    }

    @Test(arguments: GGMLType.allCases)
    func byteCount(_ type: GGMLType) {
        #expect(type.byteCount(elements: 0) == 0)
        #expect(type.byteCount(elements: type.blockSize) == type.bytesPerBlock)
        #expect(type.byteCount(elements: type.blockSize * 7) == type.bytesPerBlock * 7)
        #expect(type.byteCount(elements: -type.blockSize) == nil)
        if type.blockSize > 1 {
            #expect(type.byteCount(elements: type.blockSize + 1) == nil)
            #expect(type.byteCount(elements: type.blockSize / 2) == nil)
        }
        // The largest whole number of blocks fits in Int when multiplied out exactly when a
        // block takes no more bytes than it holds elements (I8 and the sub-byte quants).
        let blocks = Int.max / type.blockSize
        let size = type.byteCount(elements: blocks * type.blockSize)
        if type.bytesPerBlock > type.blockSize {
            #expect(size == nil)
        } else {
            #expect(size != nil && size! > 0 && size! <= Int.max)
        }
    }
}
