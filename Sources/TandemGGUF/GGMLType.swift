/// A ggml tensor element type, with the block layout that stores it.
///
/// Raw values are the numbers GGUF files store (ggml's `enum ggml_type`). Quantised types
/// store `blockSize` elements in `bytesPerBlock` bytes; plain types have a block of one.
/// Numbers that ggml retired (4, 5, 31–33, 36–38) are not cases: a file using them gets
/// `GGUFError.unknownTensorType`. Sizes follow ggml's `type_traits` (ggml.c) and the
/// `block_*` structs with their `static_assert`ed sizes (ggml-common.h), up to `Q2_0` = 42.
public enum GGMLType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1
    case q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_XXS = 16, iq2_XS = 17, iq3_XXS = 18, iq1_S = 19, iq4_NL = 20
    case iq3_S = 21, iq2_S = 22, iq4_XS = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28
    case iq1_M = 29, bf16 = 30, tq1_0 = 34, tq2_0 = 35, mxfp4 = 39
    case nvfp4 = 40, q1_0 = 41, q2_0 = 42

    /// Elements stored in one block (1 for plain types, 32 or 256 for quantised ones).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_NL, .mxfp4: 32
        case .nvfp4, .q2_0: 64
        case .q1_0: 128
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .iq2_XXS, .iq2_XS, .iq3_XXS,
             .iq1_S, .iq3_S, .iq2_S, .iq4_XS, .iq1_M, .tq1_0, .tq2_0: 256
        }
    }

    /// Bytes of one block, as ggml's `block_*` structs lay it out.
    public var bytesPerBlock: Int {
        switch self {
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .f64, .i64: 8
        case .i8: 1
        case .q4_0: 18      // f16 d, 16 bytes of nibbles
        case .q4_1: 20      // f16 d, f16 m, 16 bytes of nibbles
        case .q5_0: 22      // f16 d, 4 bytes high bits, 16 bytes of nibbles
        case .q5_1: 24      // f16 d, f16 m, 4 bytes high bits, 16 bytes of nibbles
        case .q8_0: 34      // f16 d, 32 int8
        case .q8_1: 36      // f16 d, f16 s, 32 int8
        case .q2_K: 84      // 16 scales, 64 qs, f16 d, f16 dmin
        case .q3_K: 110     // 32 hmask, 64 qs, 12 scales, f16 d
        case .q4_K: 144     // f16 d, f16 dmin, 12 scales, 128 qs
        case .q5_K: 176     // f16 d, f16 dmin, 12 scales, 32 qh, 128 qs
        case .q6_K: 210     // 128 ql, 64 qh, 16 int8 scales, f16 d
        case .q8_K: 292     // f32 d, 256 int8, 16 int16 bsums
        case .iq2_XXS: 66   // f16 d, 32 uint16
        case .iq2_XS: 74    // f16 d, 32 uint16, 8 scales
        case .iq3_XXS: 98   // f16 d, 96 bytes
        case .iq1_S: 50     // f16 d, 32 qs, 8 uint16 qh
        case .iq4_NL: 18    // f16 d, 16 bytes
        case .iq3_S: 110    // f16 d, 64 qs, 8 qh, 32 signs, 4 scales
        case .iq2_S: 82     // f16 d, 64 qs, 8 qh, 8 scales
        case .iq4_XS: 136   // f16 d, uint16 scales_h, 4 scales_l, 128 qs
        case .iq1_M: 56     // 32 qs, 16 qh, 8 scales
        case .tq1_0: 54     // 48 qs, 4 qh, f16 d
        case .tq2_0: 66     // 64 qs, f16 d
        case .mxfp4: 17     // e8m0 exponent, 16 bytes of nibbles
        case .nvfp4: 36     // 4 ue4m3 sub-block scales, 32 bytes of e2m1 nibbles
        case .q1_0: 18      // f16 d, 16 bytes of sign bits
        case .q2_0: 18      // f16 d, 16 bytes of 2-bit quants
        }
    }

    /// The name ggml and llama.cpp print for this type, e.g. `Q4_K`.
    public var name: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        case .f64: "F64"
        case .i8: "I8"
        case .i16: "I16"
        case .i32: "I32"
        case .i64: "I64"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q5_0: "Q5_0"
        case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"
        case .q8_1: "Q8_1"
        case .q2_K: "Q2_K"
        case .q3_K: "Q3_K"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        case .q8_K: "Q8_K"
        case .iq2_XXS: "IQ2_XXS"
        case .iq2_XS: "IQ2_XS"
        case .iq3_XXS: "IQ3_XXS"
        case .iq1_S: "IQ1_S"
        case .iq4_NL: "IQ4_NL"
        case .iq3_S: "IQ3_S"
        case .iq2_S: "IQ2_S"
        case .iq4_XS: "IQ4_XS"
        case .iq1_M: "IQ1_M"
        case .tq1_0: "TQ1_0"
        case .tq2_0: "TQ2_0"
        case .mxfp4: "MXFP4"
        case .nvfp4: "NVFP4"
        case .q1_0: "Q1_0"
        case .q2_0: "Q2_0"
        }
    }

    public var description: String { name }

    /// Bytes needed for `elements` elements, or nil when `elements` is not a whole number
    /// of blocks or the size overflows.
    public func byteCount(elements: Int) -> Int? {
        guard elements >= 0, elements % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        return overflow ? nil : bytes
    }
}
