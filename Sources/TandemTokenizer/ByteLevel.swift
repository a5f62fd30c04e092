/// GPT-2's reversible byte ↔ character alphabet (`bytes_to_unicode` in OpenAI's `encoder.py`).
///
/// Byte-level BPE vocabularies store every token as a string over 256 printable characters,
/// one per byte: bytes `!`...`~`, `¡`...`¬` and `®`...`ÿ` stand for themselves, and the other
/// 68 bytes (controls, space, DEL, NBSP, soft hyphen...) map in byte order to U+0100, U+0101, ...
/// So a space is `Ġ` (U+0120) and a newline `Ċ` (U+010A). Pure functions, no state.
public enum ByteLevel {
    /// The character standing for each byte, indexed by byte.
    public static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte each alphabet character stands for, indexed by scalar value (0 ..< 324); -1 where
    /// the scalar is not in the alphabet.
    static let byteForScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, scalar) in scalarForByte.enumerated() { table[Int(scalar.value)] = Int16(byte) }
        return table
    }()

    /// The byte a character of the alphabet stands for, or nil when it is not one of the 256.
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = Int(scalar.value)
        guard value < byteForScalar.count, byteForScalar[value] >= 0 else { return nil }
        return UInt8(byteForScalar[value])
    }

    /// Bytes written in the alphabet, e.g. `[0x20, 0x61]` → `"Ġa"`.
    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var result = String.UnicodeScalarView()
        for byte in bytes { result.append(scalarForByte[Int(byte)]) }
        return String(result)
    }

    /// The bytes an alphabet string stands for, or nil when it has a character outside the alphabet.
    public static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    private static func isPrintable(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }
}
