/// A run of UTF-8 text decoded to scalars, with each scalar's class and byte offset, the
/// form the pre-tokenizers scan. Reused across fragments to avoid reallocating.
struct ScalarText {
    /// Scalar values.
    var scalars: [UInt32] = []
    /// `ScalarClass.of` each scalar.
    var classes: [ScalarClass] = []
    /// Byte offset of each scalar in the source bytes, plus one final entry: the end offset.
    var byteOffsets: [Int] = []

    var count: Int { scalars.count }

    /// Decodes `bytes[range]`, which must be well-formed UTF-8 (a slice of a Swift string cut
    /// at scalar boundaries).
    mutating func load(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>) {
        scalars.removeAll(keepingCapacity: true)
        classes.removeAll(keepingCapacity: true)
        byteOffsets.removeAll(keepingCapacity: true)
        var offset = range.lowerBound
        while offset < range.upperBound {
            let lead = bytes[offset]
            let value: UInt32
            let length: Int
            if lead < 0x80 {
                value = UInt32(lead)
                length = 1
            } else if lead < 0xE0 {
                value = UInt32(lead & 0x1F) << 6 | UInt32(bytes[offset + 1] & 0x3F)
                length = 2
            } else if lead < 0xF0 {
                value = UInt32(lead & 0x0F) << 12 | UInt32(bytes[offset + 1] & 0x3F) << 6
                    | UInt32(bytes[offset + 2] & 0x3F)
                length = 3
            } else {
                value = UInt32(lead & 0x07) << 18 | UInt32(bytes[offset + 1] & 0x3F) << 12
                    | UInt32(bytes[offset + 2] & 0x3F) << 6 | UInt32(bytes[offset + 3] & 0x3F)
                length = 4
            }
            scalars.append(value)
            classes.append(ScalarClass.of(value))
            byteOffsets.append(offset)
            offset += length
        }
        byteOffsets.append(range.upperBound)
    }
}
