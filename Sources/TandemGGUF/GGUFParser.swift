/// Parses and validates the GGUF header, metadata and tensor table from raw bytes.
///
/// Layout (GGUF v2/v3, little-endian): magic `GGUF`, u32 version, u64 tensor count,
/// u64 metadata count, the key/value pairs, the tensor infos, padding to
/// `general.alignment` (default 32), then the data section. Every count is checked against
/// the bytes left before anything is allocated, and against `GGUFFile.maxMetadataValues` /
/// `maxTensorCount`: a decoded value takes up to 24 times the bytes it took in the file, so
/// bounding counts by file size alone would let one corrupted count exhaust memory.
struct GGUFParser {
    static let magic: UInt32 = 0x4655_4747  // "GGUF" read little-endian
    static let maxArrayDepth = 8
    static let maxDimensions = 4
    static let defaultAlignment = 32

    struct Parsed {
        var version: UInt32
        var metadata: GGUFMetadata
        var tensors: [GGUFTensorInfo]
        var alignment: Int
        var dataStart: Int
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws(GGUFError) -> Parsed {
        var cursor = ByteCursor(bytes)
        let magic = try cursor.read(UInt32.self, "magic")
        guard magic == Self.magic else { throw .badMagic(found: magic) }
        let version = try cursor.read(UInt32.self, "version")
        if version == 2 << 24 || version == 3 << 24 { throw .bigEndianNotSupported(version: version.byteSwapped) }
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }

        let tensorCountOffset = cursor.offset
        let tensorCount = try cursor.read(UInt64.self, "tensor count")
        let keyCountOffset = cursor.offset
        let keyCount = try cursor.read(UInt64.self, "metadata count")
        // A metadata pair takes at least 8 (key length) + 4 (type) + 1 bytes; a tensor info
        // at least 8 (name length) + 4 (dims) + 8 (one dim) + 4 (type) + 8 (offset).
        guard keyCount <= UInt64(cursor.remaining / 13) else {
            throw .countTooLarge(what: "metadata", count: keyCount, offset: keyCountOffset)
        }
        guard tensorCount <= UInt64(cursor.remaining / 32) else {
            throw .countTooLarge(what: "tensor", count: tensorCount, offset: tensorCountOffset)
        }
        guard keyCount <= UInt64(GGUFFile.maxMetadataValues) else {
            throw .limitExceeded(what: "metadata count \(keyCount)", limit: GGUFFile.maxMetadataValues, offset: keyCountOffset)
        }
        guard tensorCount <= UInt64(GGUFFile.maxTensorCount) else {
            throw .limitExceeded(what: "tensor count \(tensorCount)", limit: GGUFFile.maxTensorCount, offset: tensorCountOffset)
        }

        var metadata = GGUFMetadata()
        // Values decoded so far may not pass the limit: each pair is one, plus array elements.
        var valueBudget = GGUFFile.maxMetadataValues - Int(keyCount)
        for index in 0..<Int(keyCount) {
            let keyOffset = cursor.offset
            let key = try cursor.readString("key of metadata pair \(index)")
            let value = try readValue(&cursor, key: key, budget: &valueBudget)
            guard metadata.insert(key, value) else { throw .duplicateKey(key, offset: keyOffset) }
        }

        var alignment = defaultAlignment
        if let value = metadata["general.alignment"] {
            guard let raw = value.intValue, raw > 0, raw <= 65536, raw & (raw - 1) == 0 else {
                throw .badAlignment(value)
            }
            alignment = raw
        }

        var entries: [TensorEntry] = []
        entries.reserveCapacity(Int(tensorCount))
        var names = Set<String>()
        for index in 0..<Int(tensorCount) {
            let infoOffset = cursor.offset
            let entry = try readTensorInfo(&cursor, index: index, alignment: alignment)
            guard names.insert(entry.name).inserted else { throw .duplicateTensor(entry.name, offset: infoOffset) }
            entries.append(entry)
        }

        // The cursor is inside the buffer, so this cannot overflow: alignment <= 65536.
        let dataStart = (cursor.offset + alignment - 1) / alignment * alignment
        if !entries.isEmpty && dataStart > bytes.count {
            throw .truncated(offset: bytes.count, needed: dataStart - bytes.count, reading: "padding before tensor data")
        }
        let dataSize = max(0, bytes.count - dataStart)
        let tensors = try checkExtents(entries, dataSize: dataSize)
        return Parsed(version: version, metadata: metadata, tensors: tensors, alignment: alignment, dataStart: dataStart)
    }

    /// A tensor-table entry before its extent is checked against the data section.
    private struct TensorEntry {
        var name: String
        var shape: [Int]
        var type: GGMLType
        var offset: UInt64
        var byteCount: Int
    }

    private static func readValue(_ cursor: inout ByteCursor, key: String, budget: inout Int) throws(GGUFError) -> GGUFValue {
        let typeOffset = cursor.offset
        let raw = try cursor.read(UInt32.self, "type of '\(key)'")
        guard let type = GGUFValueType(rawValue: raw) else {
            throw .unknownValueType(raw: raw, key: key, offset: typeOffset)
        }
        return try readValue(&cursor, type: type, key: key, depth: 0, budget: &budget)
    }

    private static func readValue(_ cursor: inout ByteCursor, type: GGUFValueType, key: String, depth: Int,
                                  budget: inout Int) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try cursor.read(UInt8.self, "value of '\(key)'"))
        case .int8: return .int8(try cursor.read(Int8.self, "value of '\(key)'"))
        case .uint16: return .uint16(try cursor.read(UInt16.self, "value of '\(key)'"))
        case .int16: return .int16(try cursor.read(Int16.self, "value of '\(key)'"))
        case .uint32: return .uint32(try cursor.read(UInt32.self, "value of '\(key)'"))
        case .int32: return .int32(try cursor.read(Int32.self, "value of '\(key)'"))
        case .uint64: return .uint64(try cursor.read(UInt64.self, "value of '\(key)'"))
        case .int64: return .int64(try cursor.read(Int64.self, "value of '\(key)'"))
        case .float32: return .float32(try cursor.readFloat("value of '\(key)'"))
        case .float64: return .float64(try cursor.readDouble("value of '\(key)'"))
        case .bool:
            let offset = cursor.offset
            let byte = try cursor.read(UInt8.self, "value of '\(key)'")
            guard byte <= 1 else { throw .valueOutOfRange(key: key, value: "bool byte \(byte) at offset \(offset)") }
            return .bool(byte == 1)
        case .string: return .string(try cursor.readString("value of '\(key)'"))
        case .array:
            let headerOffset = cursor.offset
            guard depth < maxArrayDepth else { throw .arrayNestingTooDeep(key: key, offset: headerOffset) }
            let rawElementType = try cursor.read(UInt32.self, "array type of '\(key)'")
            guard let elementType = GGUFValueType(rawValue: rawElementType) else {
                throw .unknownValueType(raw: rawElementType, key: key, offset: headerOffset)
            }
            let countOffset = cursor.offset
            let count = try cursor.read(UInt64.self, "array length of '\(key)'")
            guard count <= UInt64(cursor.remaining / elementType.minimumEncodedSize) else {
                throw .countTooLarge(what: "array element of '\(key)'", count: count, offset: countOffset)
            }
            guard count <= UInt64(budget) else {
                throw .limitExceeded(what: "metadata values with the \(count) elements of '\(key)'",
                                     limit: GGUFFile.maxMetadataValues, offset: countOffset)
            }
            budget -= Int(count)
            var elements: [GGUFValue] = []
            elements.reserveCapacity(Int(count))
            for _ in 0..<Int(count) {
                elements.append(try readValue(&cursor, type: elementType, key: key, depth: depth + 1, budget: &budget))
            }
            return .array(elementType, elements)
        }
    }

    private static func readTensorInfo(_ cursor: inout ByteCursor, index: Int, alignment: Int) throws(GGUFError) -> TensorEntry {
        let name = try cursor.readString("name of tensor \(index)")
        let dimensionCount = try cursor.read(UInt32.self, "dimension count of '\(name)'")
        guard (1...UInt32(maxDimensions)).contains(dimensionCount) else {
            throw .badDimensionCount(tensor: name, count: dimensionCount)
        }
        var shape: [Int] = []
        var elements = 1
        for dimension in 0..<Int(dimensionCount) {
            let raw = try cursor.read(UInt64.self, "dimension \(dimension) of '\(name)'")
            guard raw > 0, raw <= UInt64(Int32.max) else { throw .badDimension(tensor: name, index: dimension, value: raw) }
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int(raw))
            guard !overflow else { throw .elementCountOverflow(tensor: name) }
            elements = product
            shape.append(Int(raw))
        }
        let rawType = try cursor.read(UInt32.self, "type of '\(name)'")
        guard let type = GGMLType(rawValue: rawType) else { throw .unknownTensorType(raw: rawType, tensor: name) }
        guard shape[0] % type.blockSize == 0 else { throw .rowNotWholeBlocks(tensor: name, type: type, rowLength: shape[0]) }
        guard let byteCount = type.byteCount(elements: elements) else { throw .elementCountOverflow(tensor: name) }
        let offset = try cursor.read(UInt64.self, "data offset of '\(name)'")
        guard offset % UInt64(alignment) == 0 else { throw .misalignedTensor(tensor: name, offset: offset, alignment: alignment) }
        return TensorEntry(name: name, shape: shape, type: type, offset: offset, byteCount: byteCount)
    }

    /// Every tensor lies inside the data section and no two overlap.
    private static func checkExtents(_ entries: [TensorEntry], dataSize: Int) throws(GGUFError) -> [GGUFTensorInfo] {
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(entries.count)
        for entry in entries {
            // In UInt64, so an offset past Int.max is reported as out of bounds, not trapped on.
            let (end, overflow) = entry.offset.addingReportingOverflow(UInt64(entry.byteCount))
            guard !overflow, end <= UInt64(dataSize) else {
                throw .tensorOutOfBounds(tensor: entry.name, start: entry.offset, byteCount: entry.byteCount, dataSize: dataSize)
            }
            tensors.append(GGUFTensorInfo(name: entry.name, shape: entry.shape, type: entry.type,
                                          dataOffset: Int(entry.offset), byteCount: entry.byteCount))
        }
        let ordered = tensors.sorted { $0.dataOffset < $1.dataOffset }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where previous.dataOffset + previous.byteCount > next.dataOffset {
            throw .tensorsOverlap(previous.name, next.name)
        }
        return tensors
    }
}
