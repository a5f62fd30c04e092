/// The type tag GGUF stores before each metadata value (`gguf_type`).
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5
    case float32 = 6, bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Encoded size of one value of a fixed-size type; nil for strings and arrays.
    var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        case .string, .array: nil
        }
    }

    /// The fewest bytes one encoded value can take (used to bound counts before allocating).
    var minimumEncodedSize: Int { fixedSize ?? (self == .string ? 8 : 12) }
}

/// One metadata value. Arrays keep their declared element type, even when empty.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16)
    case uint32(UInt32), int32(Int32), uint64(UInt64), int64(Int64)
    case float32(Float), float64(Double), bool(Bool), string(String)
    case array(GGUFValueType, [GGUFValue])

    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// The value as an integer, when it is one of the integer types and fits in `Int`.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// The value as a floating-point number, when it is a float type.
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: nil
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// A short human-readable rendering; long arrays are summarised.
    public var summary: String {
        switch self {
        case .string(let s): return s.count > 60 ? "\"\(s.prefix(57))...\"" : "\"\(s)\""
        case .array(let type, let values):
            if values.count > 8 { return "[\(type) × \(values.count)]" }
            return "[" + values.map(\.summary).joined(separator: ", ") + "]"
        case .bool(let b): return String(b)
        case .float32(let f): return String(f)
        case .float64(let f): return String(f)
        default: return intValue.map(String.init) ?? "?"
        }
    }
}

/// The metadata section: ordered key/value pairs with typed accessors that throw
/// `GGUFError.missingKey` / `.wrongValueType` instead of defaulting.
public struct GGUFMetadata: Sendable {
    public private(set) var keys: [String] = []
    private var values: [String: GGUFValue] = [:]

    public init() {}

    /// Adds a pair; returns false when the key is already present.
    @discardableResult
    mutating func insert(_ key: String, _ value: GGUFValue) -> Bool {
        guard values[key] == nil else { return false }
        keys.append(key)
        values[key] = value
        return true
    }

    public subscript(key: String) -> GGUFValue? { values[key] }

    public var count: Int { keys.count }

    public func value(_ key: String) throws(GGUFError) -> GGUFValue {
        guard let value = values[key] else { throw .missingKey(key) }
        return value
    }

    public func int(_ key: String) throws(GGUFError) -> Int {
        let value = try value(key)
        guard let int = value.intValue else {
            if case .uint64(let big) = value { throw .valueOutOfRange(key: key, value: String(big)) }
            throw .wrongValueType(key: key, expected: "an integer", found: "\(value.type)")
        }
        return int
    }

    public func double(_ key: String) throws(GGUFError) -> Double {
        let value = try value(key)
        guard let double = value.doubleValue else {
            throw .wrongValueType(key: key, expected: "a float", found: "\(value.type)")
        }
        return double
    }

    public func string(_ key: String) throws(GGUFError) -> String {
        let value = try value(key)
        guard let string = value.stringValue else {
            throw .wrongValueType(key: key, expected: "a string", found: "\(value.type)")
        }
        return string
    }

    public func bool(_ key: String) throws(GGUFError) -> Bool {
        let value = try value(key)
        guard case .bool(let bool) = value else {
            throw .wrongValueType(key: key, expected: "a bool", found: "\(value.type)")
        }
        return bool
    }

    /// The elements of an array value.
    public func array(_ key: String) throws(GGUFError) -> [GGUFValue] {
        let value = try value(key)
        guard case .array(_, let elements) = value else {
            throw .wrongValueType(key: key, expected: "an array", found: "\(value.type)")
        }
        return elements
    }

    public func stringArray(_ key: String) throws(GGUFError) -> [String] {
        let value = try value(key)
        guard case .array(.string, let elements) = value else {
            throw .wrongValueType(key: key, expected: "an array of strings", found: typeName(value))
        }
        var strings: [String] = []
        strings.reserveCapacity(elements.count)
        for element in elements {
            guard let string = element.stringValue else {
                throw .wrongValueType(key: key, expected: "an array of strings", found: "an array holding \(element.type)")
            }
            strings.append(string)
        }
        return strings
    }

    public func intArray(_ key: String) throws(GGUFError) -> [Int] {
        let elements = try array(key)
        var result: [Int] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard let int = element.intValue else {
                if case .uint64(let big) = element { throw .valueOutOfRange(key: key, value: "element \(index): \(big)") }
                throw .wrongValueType(key: key, expected: "an array of integers", found: typeName(try value(key)))
            }
            result.append(int)
        }
        return result
    }

    private func typeName(_ value: GGUFValue) -> String {
        if case .array(let type, _) = value { return "an array of \(type)" }
        return "\(value.type)"
    }
}
