/// A forward-only, bounds-checked little-endian reader over a byte buffer.
///
/// Every read checks the remaining length first and throws `GGUFError.truncated` naming the
/// offset and what was being read; nothing reads past `bytes.count`.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func require(_ count: Int, _ reading: @autoclosure () -> String) throws(GGUFError) {
        guard count >= 0, count <= remaining else {
            throw .truncated(offset: offset, needed: count - remaining, reading: reading())
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ reading: @autoclosure () -> String) throws(GGUFError) -> T {
        try require(MemoryLayout<T>.size, reading())
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func readFloat(_ reading: @autoclosure () -> String) throws(GGUFError) -> Float {
        Float(bitPattern: try read(UInt32.self, reading()))
    }

    mutating func readDouble(_ reading: @autoclosure () -> String) throws(GGUFError) -> Double {
        Double(bitPattern: try read(UInt64.self, reading()))
    }

    /// A GGUF string: u64 byte length, then that many bytes of UTF-8.
    mutating func readString(_ reading: @autoclosure () -> String) throws(GGUFError) -> String {
        let start = offset
        let length = try read(UInt64.self, reading())
        guard length <= UInt64(remaining) else {
            throw .countTooLarge(what: "string length of \(reading())", count: length, offset: start)
        }
        let count = Int(length)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw .invalidUTF8(offset: offset, reading: reading())
        }
        offset += count
        return string
    }

    mutating func skip(_ count: Int, _ reading: @autoclosure () -> String) throws(GGUFError) {
        try require(count, reading())
        offset += count
    }
}
