import Testing
import TandemGGUF

/// Metadata covering every `GGUFValue` case, edge values and nested arrays.
let everyValueMetadata: [(String, GGUFValue)] = [
    ("general.architecture", .string("tiny")),
    ("u8.max", .uint8(.max)),
    ("u8.zero", .uint8(0)),
    ("i8.min", .int8(.min)),
    ("u16.max", .uint16(.max)),
    ("i16.min", .int16(.min)),
    ("u32.max", .uint32(.max)),
    ("i32.min", .int32(.min)),
    ("u64.max", .uint64(.max)),
    ("i64.min", .int64(.min)),
    ("f32.value", .float32(1.5)),
    ("f32.negative_zero", .float32(-0.0)),
    ("f32.infinity", .float32(-.infinity)),
    ("f32.nan_payload", .float32(Float(bitPattern: 0x7FC0_1234))),
    ("f64.pi", .float64(.pi)),
    ("f64.nan", .float64(Double(bitPattern: 0x7FF8_0000_0000_0ABC))),
    ("bool.true", .bool(true)),
    ("bool.false", .bool(false)),
    ("string.empty", .string("")),
    ("string.unicode", .string("héllo ✓ 😀 \u{0} end")),
    ("", .string("the empty key")),
    ("array.empty_u8", .array(.uint8, [])),
    ("array.empty_of_arrays", .array(.array, [])),
    ("array.i32", .array(.int32, [.int32(-1), .int32(0), .int32(.max)])),
    ("array.bool", .array(.bool, [.bool(true), .bool(false)])),
    ("array.f64", .array(.float64, [.float64(-2.25), .float64(1e300)])),
    ("array.u64", .array(.uint64, [.uint64(.max), .uint64(7)])),
    ("array.strings", .array(.string, [.string("a"), .string(""), .string("Ġtoken")])),
    ("array.arrays_of_strings", .array(.array, [
        .array(.string, [.string("x"), .string("y")]),
        .array(.string, []),
        .array(.string, [.string("z")]),
    ])),
    ("array.mixed_inner_types", .array(.array, [
        .array(.uint8, [.uint8(1)]),
        .array(.float32, [.float32(2)]),
        .array(.array, [.array(.int64, [.int64(-3)])]),
    ])),
    ("array.nested_8_deep", nested(depth: 8)),
]

/// An array nested `depth` levels deep whose innermost array holds one string.
func nested(depth: Int) -> GGUFValue {
    var value = GGUFValue.array(.string, [.string("core")])
    for _ in 1..<depth { value = .array(.array, [value]) }
    return value
}

/// A tensor the round-trip tests add and read back: name, shape (ggml order), type, bytes.
struct TensorSpec: Sendable, CustomTestStringConvertible {
    var name: String
    var shape: [Int]
    var type: GGMLType
    var bytes: [UInt8]

    init(_ name: String, _ shape: [Int], _ type: GGMLType, seed: UInt8) {
        self.name = name
        self.shape = shape
        self.type = type
        self.bytes = patternBytes(type.byteCount(elements: shape.reduce(1, *))!, seed: seed)
    }

    var testDescription: String { "\(name) \(type) \(shape)" }
}

/// Tensors of several types and 1 to 4 dimensions; sizes chosen so some need padding.
let mixedTensors: [TensorSpec] = [
    TensorSpec("f32.1d", [8], .f32, seed: 1),
    TensorSpec("f16.2d", [4, 3], .f16, seed: 2),
    TensorSpec("bf16.1d.odd", [5], .bf16, seed: 3),
    TensorSpec("q4_0.3d", [64, 2, 3], .q4_0, seed: 4),
    TensorSpec("q8_0.2d", [32, 5], .q8_0, seed: 5),
    TensorSpec("q6_K.4d", [256, 1, 2, 1], .q6_K, seed: 6),
    TensorSpec("i32.4d", [1, 2, 1, 3], .i32, seed: 7),
    TensorSpec("q4_K.2d", [512, 2], .q4_K, seed: 8),
]

/// A writer holding `metadata` and `tensors`.
func makeWriter(alignment: Int = 32, metadata: [(String, GGUFValue)] = everyValueMetadata,
                tensors: [TensorSpec] = mixedTensors) -> GGUFWriter {
    var writer = GGUFWriter(alignment: alignment)
    for (key, value) in metadata { writer.set(key, value) }
    for tensor in tensors { writer.addTensor(tensor.name, shape: tensor.shape, type: tensor.type, bytes: tensor.bytes) }
    return writer
}

/// A small but complete model file (about 1 KB): a few pairs of each kind and three tensors.
/// Small enough that truncating it at every byte offset is cheap.
func smallModelBytes() -> [UInt8] {
    makeWriter(metadata: [
        ("general.architecture", .string("llama")),
        ("llama.block_count", .uint32(1)),
        ("llama.rope.freq_base", .float32(10000)),
        ("flag", .bool(true)),
        ("tokenizer.ggml.tokens", .array(.string, [.string("<s>"), .string("a"), .string("bc")])),
        ("tokenizer.ggml.scores", .array(.float32, [.float32(0), .float32(-1), .float32(-2)])),
        ("nested", .array(.array, [.array(.uint16, [.uint16(1), .uint16(2)]), .array(.uint16, [])])),
    ], tensors: [
        TensorSpec("token_embd.weight", [32, 3], .q8_0, seed: 11),
        TensorSpec("norm.weight", [5], .f32, seed: 12),
        TensorSpec("blk.0.ffn.weight", [256, 1], .q4_K, seed: 13),
    ]).serialized()
}
