import Testing
import TandemGGUF

/// `general.alignment`: accepted values (any integer type), rejected ones, and its effect on
/// where the data section starts.
@Suite struct AlignmentTests {
    /// One pair `general.alignment` = `value`, one F32 tensor of 8 at offset 0, padded to `pad`.
    static func file(_ value: GGUFValue, pad: Int = 32) -> [UInt8] {
        var writer = GGUFWriter(alignment: pad)
        writer.set("general.alignment", value)
        writer.addTensor("t", shape: [8], type: .f32, bytes: patternBytes(32, seed: 9))
        return writer.serialized()
    }

    static let valid: [(GGUFValue, Int)] = [
        (.uint8(1), 1), (.uint16(16), 16), (.uint32(32), 32), (.uint32(64), 64),
        (.uint64(128), 128), (.int32(256), 256), (.int8(8), 8), (.uint32(65536), 65536),
    ]

    @Test(arguments: valid)
    func accepted(value: GGUFValue, alignment: Int) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let file = try dir.open(Self.file(value, pad: alignment)).get()
        #expect(file.alignment == alignment)
        #expect(file.dataStart % alignment == 0)
        #expect(Array(file.data(for: file.tensors[0])) == patternBytes(32, seed: 9))
    }

    static let invalid: [GGUFValue] = [
        .uint32(0), .uint32(3), .uint32(96), .uint32(1 << 17), .uint32(.max), .uint64(.max), .uint64(1 << 40),
        .int32(-32), .int8(-1), .int64(.min), .float32(32), .float64(32), .string("32"), .bool(true),
        .array(.uint32, [.uint32(32)]),
    ]

    @Test(arguments: invalid)
    func rejected(value: GGUFValue) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let error = try dir.error(Self.file(value))
        #expect(error == .badAlignment(value))
        #expect(error?.description.contains("general.alignment") == true)
    }

    /// The writer records a non-default alignment itself; the default is left implicit.
    @Test func writerRecordsAlignment() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var writer = GGUFWriter(alignment: 64)
        writer.addTensor("a", shape: [3], type: .f32, bytes: patternBytes(12, seed: 1))
        writer.addTensor("b", shape: [3], type: .f32, bytes: patternBytes(12, seed: 2))
        let file = try dir.open(writer.serialized()).get()
        #expect(file.metadata["general.alignment"] == .uint32(64))
        #expect(file.tensors.map(\.dataOffset) == [0, 64])
        #expect(file.dataStart % 64 == 0)

        let plain = try dir.open(GGUFWriter().serialized(), name: "plain.gguf").get()
        #expect(plain.metadata["general.alignment"] == nil && plain.alignment == 32)
    }

    /// A file laid out for 64 but declaring 32 reads its data from the wrong place; the
    /// reader cannot know, but the extents it reports are still inside the file.
    @Test func declaredAlignmentRules() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var writer = GGUFWriter(alignment: 64)
        writer.set("general.alignment", .uint32(32))
        writer.addTensor("t", shape: [8], type: .f32, bytes: patternBytes(32, seed: 3))
        let file = try dir.open(writer.serialized()).get()
        #expect(file.alignment == 32)
        #expect(file.dataStart + file.tensors[0].byteCount <= file.fileSize)
    }
}
