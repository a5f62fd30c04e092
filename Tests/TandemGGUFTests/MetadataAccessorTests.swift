import Testing
import TandemGGUF

/// Typed accessors of `GGUFMetadata`: values of the asked-for kind come back; anything else
/// is `missingKey`, `wrongValueType` or `valueOutOfRange`, never a default.
@Suite struct MetadataAccessorTests {
    static func metadata() throws -> GGUFMetadata {
        let dir = try TempDirectory()
        defer { dir.remove() }
        return try dir.open(makeWriter(tensors: []).serialized()).get().metadata
    }

    @Test func integers() throws {
        let m = try Self.metadata()
        #expect(try m.int("u8.max") == 255)
        #expect(try m.int("i8.min") == -128)
        #expect(try m.int("u16.max") == 65535)
        #expect(try m.int("i16.min") == -32768)
        #expect(try m.int("u32.max") == Int(UInt32.max))
        #expect(try m.int("i32.min") == Int(Int32.min))
        #expect(try m.int("i64.min") == Int(Int64.min))
        #expect(throws: GGUFError.valueOutOfRange(key: "u64.max", value: String(UInt64.max))) { try m.int("u64.max") }
        #expect(throws: GGUFError.wrongValueType(key: "f32.value", expected: "an integer", found: "float32")) { try m.int("f32.value") }
        #expect(throws: GGUFError.wrongValueType(key: "bool.true", expected: "an integer", found: "bool")) { try m.int("bool.true") }
        #expect(throws: GGUFError.wrongValueType(key: "array.i32", expected: "an integer", found: "array")) { try m.int("array.i32") }
    }

    @Test func floats() throws {
        let m = try Self.metadata()
        #expect(try m.double("f32.value") == 1.5)
        #expect(try m.double("f64.pi") == .pi)
        #expect(try m.double("f32.nan_payload").isNaN)
        #expect(throws: GGUFError.wrongValueType(key: "u8.max", expected: "a float", found: "uint8")) { try m.double("u8.max") }
        #expect(throws: GGUFError.wrongValueType(key: "string.empty", expected: "a float", found: "string")) { try m.double("string.empty") }
    }

    @Test func stringsAndBools() throws {
        let m = try Self.metadata()
        #expect(try m.string("general.architecture") == "tiny")
        #expect(try m.string("string.empty") == "")
        #expect(try m.string("") == "the empty key")
        #expect(try m.bool("bool.true") == true)
        #expect(try m.bool("bool.false") == false)
        #expect(throws: GGUFError.wrongValueType(key: "u8.zero", expected: "a bool", found: "uint8")) { try m.bool("u8.zero") }
        #expect(throws: GGUFError.wrongValueType(key: "u32.max", expected: "a string", found: "uint32")) { try m.string("u32.max") }
        #expect(throws: GGUFError.wrongValueType(key: "array.strings", expected: "a string", found: "array")) { try m.string("array.strings") }
    }

    @Test func arrays() throws {
        let m = try Self.metadata()
        #expect(try m.stringArray("array.strings") == ["a", "", "Ġtoken"])
        #expect(try m.intArray("array.i32") == [-1, 0, Int(Int32.max)])
        #expect(try m.intArray("array.empty_u8") == [])
        #expect(try m.array("array.empty_of_arrays") == [])
        #expect(try m.array("array.bool") == [.bool(true), .bool(false)])
        #expect(try m.array("array.arrays_of_strings").count == 3)
        #expect(throws: GGUFError.valueOutOfRange(key: "array.u64", value: "element 0: \(UInt64.max)")) { try m.intArray("array.u64") }
        #expect(throws: GGUFError.wrongValueType(key: "array.i32", expected: "an array of strings", found: "an array of int32")) {
            try m.stringArray("array.i32")
        }
        #expect(throws: GGUFError.wrongValueType(key: "array.empty_u8", expected: "an array of strings", found: "an array of uint8")) {
            try m.stringArray("array.empty_u8")
        }
        #expect(throws: GGUFError.wrongValueType(key: "array.strings", expected: "an array of integers", found: "an array of string")) {
            try m.intArray("array.strings")
        }
        #expect(throws: GGUFError.wrongValueType(key: "u8.max", expected: "an array", found: "uint8")) { try m.array("u8.max") }
        #expect(throws: GGUFError.wrongValueType(key: "string.empty", expected: "an array of strings", found: "string")) {
            try m.stringArray("string.empty")
        }
    }

    @Test func missingKeys() throws {
        let m = try Self.metadata()
        #expect(m["nope"] == nil)
        #expect(throws: GGUFError.missingKey("nope")) { try m.value("nope") }
        #expect(throws: GGUFError.missingKey("nope")) { try m.int("nope") }
        #expect(throws: GGUFError.missingKey("nope")) { try m.double("nope") }
        #expect(throws: GGUFError.missingKey("nope")) { try m.string("nope") }
        #expect(throws: GGUFError.missingKey("nope")) { try m.bool("nope") }
        #expect(throws: GGUFError.missingKey("nope")) { try m.array("nope") }
        #expect(throws: GGUFError.missingKey("nope")) { try m.stringArray("nope") }
        #expect(throws: GGUFError.missingKey("nope")) { try m.intArray("nope") }
        // Keys are exact: no case folding or trimming.
        #expect(throws: GGUFError.missingKey("General.Architecture")) { try m.string("General.Architecture") }
    }

    @Test func valueHelpers() {
        #expect(GGUFValue.uint64(UInt64(Int.max) + 1).intValue == nil)
        #expect(GGUFValue.int64(-5).intValue == -5)
        #expect(GGUFValue.float32(2).intValue == nil)
        #expect(GGUFValue.float32(2).doubleValue == 2)
        #expect(GGUFValue.string("x").stringValue == "x")
        #expect(GGUFValue.uint8(1).stringValue == nil)
        #expect(GGUFValue.array(.string, []).type == .array)
        #expect(GGUFValue.array(.uint8, (0..<20).map { .uint8($0) }).summary == "[uint8 × 20]")
        #expect(GGUFValue.string(String(repeating: "a", count: 100)).summary.count == 62)
    }
}
