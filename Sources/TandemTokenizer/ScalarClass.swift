/// How llama.cpp's pre-tokenizer patterns see one Unicode scalar: letter, number, whitespace or other.
///
/// llama.cpp (src/unicode.cpp) gives every code point category flags from a table generated
/// from Unicode 15.1 (scripts/gen-unicode-data.py), and evaluates `\p{L}`, `\p{N}` and `\s`
/// against them:
/// - `letter`: general category L* (Lu, Ll, Lt, Lm, Lo). Combining marks (M*) are *not* letters.
/// - `number`: N* (Nd, Nl, No), so `²`, `½` and `Ⅻ` are numbers too.
/// - `whitespace`: the Unicode White_Space property (25 code points: `\t`...`\r`, space,
///   U+0085, U+00A0, U+1680, U+2000...U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
///   For ASCII this equals ECMAScript `\s` as `std::regex` evaluates it in the C locale.
/// - `other`: everything else (punctuation, symbols, marks, controls, unassigned).
///
/// Swift's own Unicode tables may be newer than llama.cpp's; scalars assigned after
/// Unicode 15.1 are classed `other`, as they are unassigned in llama.cpp's table.
enum ScalarClass: UInt8, Sendable {
    case letter, number, whitespace, other

    /// The class of a scalar value. O(1) for the Basic Multilingual Plane (a table built on
    /// first use); a Unicode property lookup above it.
    @inline(__always)
    static func of(_ value: UInt32) -> ScalarClass {
        if value < 0x80 { return asciiTable[Int(value)] }
        if value < 0x10000 { return bmpTable[Int(value)] }
        return computed(value)
    }

    /// The White_Space code points above ASCII.
    private static let nonASCIIWhitespace: Set<UInt32> = [
        0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
        0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    ]

    private static let asciiTable: [ScalarClass] = (0..<128).map { value in
        switch value {
        case 0x41...0x5A, 0x61...0x7A: .letter
        case 0x30...0x39: .number
        case 0x09...0x0D, 0x20: .whitespace
        default: .other
        }
    }

    private static let bmpTable: [ScalarClass] = (0..<0x10000).map { computed(UInt32($0)) }

    private static func computed(_ value: UInt32) -> ScalarClass {
        if value < 0x80 { return asciiTable[Int(value)] }
        if nonASCIIWhitespace.contains(value) { return .whitespace }
        guard let scalar = Unicode.Scalar(value) else { return .other }   // surrogates
        let properties = scalar.properties
        guard let age = properties.age, age.major < 15 || (age.major == 15 && age.minor <= 1) else {
            return .other
        }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }
}
