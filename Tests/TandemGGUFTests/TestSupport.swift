import Foundation
import Testing
import TandemGGUF

/// A directory under the system temp directory, unique per test, removed by `remove()`.
///
/// Use as `let dir = try TempDirectory(); defer { dir.remove() }`.
struct TempDirectory {
    let path: String

    init() throws {
        let base = NSTemporaryDirectory() + "tandem-gguf-tests-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    /// Writes `bytes` to `name` inside the directory (replacing it) and returns the full path.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String = "model.gguf") throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `bytes` and opens them with `GGUFFile(path:)`.
    func open(_ bytes: [UInt8], name: String = "model.gguf") throws -> Result<GGUFFile, GGUFError> {
        let file = try write(bytes, to: name)
        return Result { () throws(GGUFError) in try GGUFFile(path: file) }
    }

    /// Writes `bytes`, opens them, and returns the typed error (nil when the file is valid).
    func error(_ bytes: [UInt8], name: String = "model.gguf") throws -> GGUFError? {
        switch try open(bytes, name: name) {
        case .success: nil
        case .failure(let error): error
        }
    }
}

/// Builds GGUF bytes field by field, with no validation: the tool for malformed files.
///
/// Mirrors the GGUF v3 layout independently of `GGUFWriter`, so the two can check each other.
struct RawGGUF {
    var bytes: [UInt8] = []

    var count: Int { bytes.count }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func raw(_ data: [UInt8]) { bytes.append(contentsOf: data) }

    /// A GGUF string: u64 length, then the bytes (any bytes, valid UTF-8 or not).
    mutating func string(_ data: [UInt8]) {
        u64(UInt64(data.count))
        raw(data)
    }

    mutating func string(_ text: String) { string(Array(text.utf8)) }

    mutating func header(version: UInt32 = 3, tensors: UInt64, keys: UInt64) {
        raw(Array("GGUF".utf8))
        u32(version)
        u64(tensors)
        u64(keys)
    }

    /// A key/value pair whose value is given as raw type tag and payload bytes.
    mutating func pair(_ key: String, type: UInt32, payload: [UInt8]) {
        string(key)
        u32(type)
        raw(payload)
    }

    mutating func pairU32(_ key: String, _ value: UInt32) {
        string(key)
        u32(GGUFValueType.uint32.rawValue)
        u32(value)
    }

    mutating func pairString(_ key: String, _ value: String) {
        string(key)
        u32(GGUFValueType.string.rawValue)
        string(value)
    }

    mutating func tensorInfo(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        tensorInfo(Array(name.utf8), dimensionCount: UInt32(dims.count), dims: dims, type: type, offset: offset)
    }

    mutating func tensorInfo(_ name: [UInt8], dimensionCount: UInt32, dims: [UInt64], type: UInt32, offset: UInt64) {
        string(name)
        u32(dimensionCount)
        for dimension in dims { u64(dimension) }
        u32(type)
        u64(offset)
    }

    mutating func pad(to alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }

    mutating func zeros(_ count: Int) { bytes.append(contentsOf: [UInt8](repeating: 0, count: count)) }

    /// Little-endian bytes of a fixed-width value, for payloads.
    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}

extension Array where Element == UInt8 {
    /// A copy with `value` written little-endian at `offset`.
    func patched<T: FixedWidthInteger>(at offset: Int, _ value: T) -> [UInt8] {
        var copy = self
        let encoded = RawGGUF.le(value)
        copy.replaceSubrange(offset..<(offset + encoded.count), with: encoded)
        return copy
    }
}

/// Deterministic bytes for tensor data: byte i of tensor `seed` is a hash of both.
func patternBytes(_ count: Int, seed: UInt8) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7 &+ ($0 >> 8)) }
}

/// Compares values bit for bit (so NaN payloads and -0.0 count), recursing into arrays.
func bitwiseEqual(_ lhs: GGUFValue, _ rhs: GGUFValue) -> Bool {
    switch (lhs, rhs) {
    case (.float32(let a), .float32(let b)): return a.bitPattern == b.bitPattern
    case (.float64(let a), .float64(let b)): return a.bitPattern == b.bitPattern
    case (.array(let ta, let a), .array(let tb, let b)):
        return ta == tb && a.count == b.count && zip(a, b).allSatisfy { bitwiseEqual($0, $1) }
    default: return lhs == rhs
    }
}

extension GGUFError {
    /// The case name alone, for asserting the kind of a non-deterministic error.
    var kind: String {
        switch self {
        case .cannotOpen: "cannotOpen"
        case .badMagic: "badMagic"
        case .unsupportedVersion: "unsupportedVersion"
        case .bigEndianNotSupported: "bigEndianNotSupported"
        case .truncated: "truncated"
        case .countTooLarge: "countTooLarge"
        case .invalidUTF8: "invalidUTF8"
        case .unknownValueType: "unknownValueType"
        case .arrayNestingTooDeep: "arrayNestingTooDeep"
        case .duplicateKey: "duplicateKey"
        case .duplicateTensor: "duplicateTensor"
        case .unknownTensorType: "unknownTensorType"
        case .badDimensionCount: "badDimensionCount"
        case .badDimension: "badDimension"
        case .elementCountOverflow: "elementCountOverflow"
        case .rowNotWholeBlocks: "rowNotWholeBlocks"
        case .badAlignment: "badAlignment"
        case .misalignedTensor: "misalignedTensor"
        case .tensorOutOfBounds: "tensorOutOfBounds"
        case .tensorsOverlap: "tensorsOverlap"
        case .limitExceeded: "limitExceeded"
        case .missingKey: "missingKey"
        case .wrongValueType: "wrongValueType"
        case .valueOutOfRange: "valueOutOfRange"
        case .missingTensor: "missingTensor"
        }
    }
}

/// Bytes `value` takes in a file after its type tag (the payload `GGUFWriter` emits).
func encodedSize(_ value: GGUFValue) -> Int {
    switch value {
    case .uint8, .int8, .bool: 1
    case .uint16, .int16: 2
    case .uint32, .int32, .float32: 4
    case .uint64, .int64, .float64: 8
    case .string(let s): 8 + s.utf8.count
    case .array(_, let elements): 12 + elements.reduce(0) { $0 + encodedSize($1) }
    }
}

/// A malformed file and the exact error it must produce.
struct CorruptCase: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var expected: GGUFError
    var testDescription: String { name }
}
