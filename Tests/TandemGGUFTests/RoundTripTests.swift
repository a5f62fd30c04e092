import Testing
import TandemGGUF

/// Files written by `GGUFWriter` read back exactly through `GGUFFile`.
@Suite struct RoundTripTests {
    /// Every metadata pair comes back in order, bit for bit; every tensor comes back with its
    /// shape, type, size and bytes — for GGUF v2 and v3 and several alignments.
    @Test(arguments: [UInt32(2), 3], [1, 8, 32, 64, 256])
    func everyValueAndTensor(version: UInt32, alignment: Int) throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var bytes = makeWriter(alignment: alignment).serialized()
        // v2 and v3 share the little-endian layout; only the version field differs.
        bytes = bytes.patched(at: 4, version)
        let file = try dir.open(bytes).get()

        #expect(file.version == version)
        #expect(file.alignment == alignment)
        #expect(file.fileSize == bytes.count)
        #expect(file.dataStart % alignment == 0)

        var expectedKeys = everyValueMetadata.map(\.0)
        if alignment != 32 { expectedKeys.append("general.alignment") }
        #expect(file.metadata.keys == expectedKeys)
        #expect(file.metadata.count == expectedKeys.count)
        for (key, value) in everyValueMetadata {
            let read = try #require(file.metadata[key], "missing \(key)")
            #expect(bitwiseEqual(read, value), "\(key): wrote \(value), read \(read)")
        }
        if alignment != 32 {
            #expect(file.metadata["general.alignment"] == .uint32(UInt32(alignment)))
        }

        #expect(file.tensors.map(\.name) == mixedTensors.map(\.name))
        for spec in mixedTensors {
            let tensor = try file.requireTensor(spec.name)
            #expect(tensor.shape == spec.shape)
            #expect(tensor.type == spec.type)
            #expect(tensor.byteCount == spec.bytes.count)
            #expect(tensor.dataOffset % alignment == 0)
            #expect(tensor.elementCount == spec.shape.reduce(1, *))
            #expect(tensor.rowLength == spec.shape[0])
            #expect(tensor.rowCount * tensor.bytesPerRow == tensor.byteCount)
            #expect(Array(file.data(for: tensor)) == spec.bytes, "data of \(spec.name)")
        }
        #expect(file.tensorDataSize == mixedTensors.reduce(0) { $0 + $1.bytes.count })
    }

    /// One tensor of every ggml type in one file, each two blocks wide and three rows tall.
    @Test func everyTensorType() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let specs = GGMLType.allCases.enumerated().map { index, type in
            TensorSpec("t.\(type.name)", [type.blockSize * 2, 3], type, seed: UInt8(index))
        }
        let file = try dir.open(makeWriter(metadata: [], tensors: specs).serialized()).get()
        #expect(file.tensors.count == GGMLType.allCases.count)
        for spec in specs {
            let tensor = try file.requireTensor(spec.name)
            #expect(tensor.type == spec.type)
            #expect(tensor.byteCount == spec.type.bytesPerBlock * 6)
            #expect(tensor.bytesPerRow == spec.type.bytesPerBlock * 2)
            #expect(Array(file.data(for: tensor)) == spec.bytes)
        }
    }

    /// The F32 convenience stores the floats' little-endian bit patterns.
    @Test func floatTensor() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let values: [Float] = [0, -0.0, 1, -2.5, .infinity, .leastNonzeroMagnitude]
        var writer = GGUFWriter()
        writer.addTensor("w", shape: [3, 2], floats: values)
        let file = try dir.open(writer.serialized()).get()
        let data = file.data(for: try file.requireTensor("w"))
        let read = (0..<values.count).map { Float(bitPattern: data.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self).littleEndian) }
        #expect(read.map(\.bitPattern) == values.map(\.bitPattern))
    }

    /// A file with metadata and no tensors, and an entirely empty one (header only).
    @Test func noTensors() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let withMetadata = try dir.open(makeWriter(metadata: [("a", .uint8(1))], tensors: []).serialized()).get()
        #expect(withMetadata.tensors.isEmpty)
        #expect(withMetadata.metadata["a"] == .uint8(1))
        #expect(withMetadata.tensorDataSize == 0)

        // The writer pads the 24-byte header to the alignment even with nothing after it.
        let headerOnly = GGUFWriter().serialized()
        #expect(headerOnly.count == 32)
        let empty = try dir.open(headerOnly).get()
        #expect(empty.metadata.count == 0 && empty.tensors.isEmpty)
        #expect(empty.dataStart == 32)
    }

    /// Setting a key twice in the writer replaces the value in place.
    @Test func writerReplacesKeys() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var writer = GGUFWriter()
        writer.set("a", .uint8(1))
        writer.set("b", .uint8(2))
        writer.set("a", .string("again"))
        let file = try dir.open(writer.serialized()).get()
        #expect(file.metadata.keys == ["a", "b"])
        #expect(file.metadata["a"] == .string("again"))
    }

    /// `GGUFWriter` and the test's field-by-field `RawGGUF` agree byte for byte, so malformed
    /// files built with `RawGGUF` differ from valid ones only where a test says.
    @Test func writerMatchesRawLayout() {
        var writer = GGUFWriter(alignment: 64)
        writer.set("general.architecture", .string("qwen2"))
        writer.set("list", .array(.array, [.array(.uint32, [.uint32(5)])]))
        writer.addTensor("a", shape: [4], type: .f32, bytes: patternBytes(16, seed: 1))
        writer.addTensor("b", shape: [32, 2], type: .q8_0, bytes: patternBytes(68, seed: 2))

        var raw = RawGGUF()
        raw.header(tensors: 2, keys: 3)
        raw.pairString("general.architecture", "qwen2")
        raw.pair("list", type: 9, payload: RawGGUF.le(UInt32(9)) + RawGGUF.le(UInt64(1))
                 + RawGGUF.le(UInt32(4)) + RawGGUF.le(UInt64(1)) + RawGGUF.le(UInt32(5)))
        raw.pairU32("general.alignment", 64)
        raw.tensorInfo("a", dims: [4], type: 0, offset: 0)
        raw.tensorInfo("b", dims: [32, 2], type: 8, offset: 64)
        raw.pad(to: 64)
        raw.raw(patternBytes(16, seed: 1))
        raw.pad(to: 64)
        raw.raw(patternBytes(68, seed: 2))
        raw.pad(to: 64)

        #expect(writer.serialized() == raw.bytes)
    }

    /// Tensor table order need not match data order; lookups by name still work.
    @Test func tensorsOutOfDataOrder() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var raw = RawGGUF()
        raw.header(tensors: 2, keys: 0)
        raw.tensorInfo("second", dims: [8], type: 0, offset: 32)
        raw.tensorInfo("first", dims: [8], type: 0, offset: 0)
        raw.pad(to: 32)
        raw.raw(patternBytes(32, seed: 1))
        raw.raw(patternBytes(32, seed: 2))
        let file = try dir.open(raw.bytes).get()
        #expect(file.tensors.map(\.name) == ["second", "first"])
        #expect(Array(file.data(for: try file.requireTensor("first"))) == patternBytes(32, seed: 1))
        #expect(Array(file.data(for: try file.requireTensor("second"))) == patternBytes(32, seed: 2))
        #expect(file.tensor(named: "third") == nil)
        #expect(throws: GGUFError.missingTensor("third")) { try file.requireTensor("third") }
    }
}
