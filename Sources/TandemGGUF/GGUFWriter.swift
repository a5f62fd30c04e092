/// Builds a GGUF v3 file in memory: metadata in insertion order, tensors with their raw
/// bytes, each aligned to `alignment`. Used by tests to make tiny models with known weights
/// and malformed variants of them.
public struct GGUFWriter {
    public struct Tensor {
        public var name: String
        public var shape: [Int]
        public var type: GGMLType
        public var bytes: [UInt8]
    }

    public var alignment: Int
    public private(set) var metadata: [(String, GGUFValue)] = []
    public private(set) var tensors: [Tensor] = []

    /// `alignment` lays out the data section; when it is not GGUF's default of 32 and no
    /// `general.alignment` is set explicitly, `serialized()` writes it as a `uint32`.
    /// (Setting `general.alignment` by hand writes that value instead, valid or not, so tests
    /// can make files whose declared alignment is wrong.)
    public init(alignment: Int = 32) {
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "alignment must be a power of two")
        self.alignment = alignment
    }

    public mutating func set(_ key: String, _ value: GGUFValue) {
        if let index = metadata.firstIndex(where: { $0.0 == key }) {
            metadata[index].1 = value
        } else {
            metadata.append((key, value))
        }
    }

    /// Adds a tensor with raw block bytes; `bytes.count` must equal the type's size for `shape`.
    public mutating func addTensor(_ name: String, shape: [Int], type: GGMLType, bytes: [UInt8]) {
        precondition(type.byteCount(elements: shape.reduce(1, *)) == bytes.count, "byte count does not match shape and type")
        tensors.append(Tensor(name: name, shape: shape, type: type, bytes: bytes))
    }

    /// Adds an F32 tensor from values.
    public mutating func addTensor(_ name: String, shape: [Int], floats: [Float]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(floats.count * 4)
        for value in floats { bytes.appendLittleEndian(value.bitPattern) }
        addTensor(name, shape: shape, type: .f32, bytes: bytes)
    }

    /// The complete file.
    public func serialized() -> [UInt8] {
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "alignment must be a power of two")
        var metadata = metadata
        if alignment != GGUFParser.defaultAlignment && !metadata.contains(where: { $0.0 == "general.alignment" }) {
            metadata.append(("general.alignment", .uint32(UInt32(alignment))))
        }
        var out: [UInt8] = []
        out.appendLittleEndian(GGUFParser.magic)
        out.appendLittleEndian(UInt32(3))
        out.appendLittleEndian(UInt64(tensors.count))
        out.appendLittleEndian(UInt64(metadata.count))
        for (key, value) in metadata {
            out.appendString(key)
            out.appendLittleEndian(value.type.rawValue)
            out.appendValue(value)
        }
        var dataOffset = 0
        var offsets: [Int] = []
        for tensor in tensors {
            offsets.append(dataOffset)
            dataOffset = (dataOffset + tensor.bytes.count + alignment - 1) / alignment * alignment
        }
        for (tensor, offset) in zip(tensors, offsets) {
            out.appendString(tensor.name)
            out.appendLittleEndian(UInt32(tensor.shape.count))
            for dimension in tensor.shape { out.appendLittleEndian(UInt64(dimension)) }
            out.appendLittleEndian(tensor.type.rawValue)
            out.appendLittleEndian(UInt64(offset))
        }
        out.padTo(alignment)
        for tensor in tensors {
            out.append(contentsOf: tensor.bytes)
            out.padTo(alignment)
        }
        return out
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendString(_ string: String) {
        appendLittleEndian(UInt64(string.utf8.count))
        append(contentsOf: string.utf8)
    }

    mutating func padTo(_ alignment: Int) {
        while count % alignment != 0 { append(0) }
    }

    mutating func appendValue(_ value: GGUFValue) {
        switch value {
        case .uint8(let v): appendLittleEndian(v)
        case .int8(let v): appendLittleEndian(v)
        case .uint16(let v): appendLittleEndian(v)
        case .int16(let v): appendLittleEndian(v)
        case .uint32(let v): appendLittleEndian(v)
        case .int32(let v): appendLittleEndian(v)
        case .uint64(let v): appendLittleEndian(v)
        case .int64(let v): appendLittleEndian(v)
        case .float32(let v): appendLittleEndian(v.bitPattern)
        case .float64(let v): appendLittleEndian(v.bitPattern)
        case .bool(let v): append(v ? 1 : 0)
        case .string(let s): appendString(s)
        case .array(let type, let elements):
            appendLittleEndian(type.rawValue)
            appendLittleEndian(UInt64(elements.count))
            for element in elements { appendValue(element) }
        }
    }
}
