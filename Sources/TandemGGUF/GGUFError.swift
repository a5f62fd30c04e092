/// Everything that can be wrong with a GGUF file, each case saying what and where.
///
/// Offsets are byte offsets from the start of the file.
public enum GGUFError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case badMagic(found: UInt32)
    case unsupportedVersion(UInt32)
    case bigEndianNotSupported(version: UInt32)
    case truncated(offset: Int, needed: Int, reading: String)
    case countTooLarge(what: String, count: UInt64, offset: Int)
    case invalidUTF8(offset: Int, reading: String)
    case unknownValueType(raw: UInt32, key: String, offset: Int)
    case arrayNestingTooDeep(key: String, offset: Int)
    case duplicateKey(String, offset: Int)
    case duplicateTensor(String, offset: Int)
    case unknownTensorType(raw: UInt32, tensor: String)
    case badDimensionCount(tensor: String, count: UInt32)
    case badDimension(tensor: String, index: Int, value: UInt64)
    case elementCountOverflow(tensor: String)
    case rowNotWholeBlocks(tensor: String, type: GGMLType, rowLength: Int)
    case badAlignment(GGUFValue)
    case misalignedTensor(tensor: String, offset: UInt64, alignment: Int)
    case tensorOutOfBounds(tensor: String, start: UInt64, byteCount: Int, dataSize: Int)
    case tensorsOverlap(String, String)
    /// A count within the file's size but past a limit of this reader (see `GGUFFile.maxMetadataValues`).
    case limitExceeded(what: String, limit: Int, offset: Int)
    case missingKey(String)
    case wrongValueType(key: String, expected: String, found: String)
    case valueOutOfRange(key: String, value: String)
    case missingTensor(String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open \(path): \(reason)"
        case .badMagic(let found):
            "not a GGUF file: magic is 0x\(String(found, radix: 16)), expected 0x46554747 ('GGUF')"
        case .unsupportedVersion(let version):
            "unsupported GGUF version \(version) (supported: 2, 3)"
        case .bigEndianNotSupported(let version):
            "big-endian GGUF (version \(version) byte-swapped) is not supported"
        case .truncated(let offset, let needed, let reading):
            "file ends at offset \(offset) while reading \(reading) (\(needed) more bytes needed)"
        case .countTooLarge(let what, let count, let offset):
            "\(what) count \(count) at offset \(offset) cannot fit in the rest of the file"
        case .invalidUTF8(let offset, let reading):
            "invalid UTF-8 in \(reading) at offset \(offset)"
        case .unknownValueType(let raw, let key, let offset):
            "unknown metadata value type \(raw) for key '\(key)' at offset \(offset)"
        case .arrayNestingTooDeep(let key, let offset):
            "arrays nested too deeply in key '\(key)' at offset \(offset)"
        case .duplicateKey(let key, let offset):
            "duplicate metadata key '\(key)' at offset \(offset)"
        case .duplicateTensor(let name, let offset):
            "duplicate tensor name '\(name)' at offset \(offset)"
        case .unknownTensorType(let raw, let tensor):
            "tensor '\(tensor)' has unknown ggml type \(raw)"
        case .badDimensionCount(let tensor, let count):
            "tensor '\(tensor)' has \(count) dimensions (1 to 4 allowed)"
        case .badDimension(let tensor, let index, let value):
            "tensor '\(tensor)' dimension \(index) is \(value)"
        case .elementCountOverflow(let tensor):
            "tensor '\(tensor)' element count overflows"
        case .rowNotWholeBlocks(let tensor, let type, let rowLength):
            "tensor '\(tensor)' row length \(rowLength) is not a multiple of \(type)'s block of \(type.blockSize)"
        case .badAlignment(let value):
            "general.alignment \(value.summary) (\(value.type)) is not a power of two between 1 and 65536"
        case .misalignedTensor(let tensor, let offset, let alignment):
            "tensor '\(tensor)' data offset \(offset) is not a multiple of the alignment \(alignment)"
        case .tensorOutOfBounds(let tensor, let start, let byteCount, let dataSize):
            "tensor '\(tensor)' (\(byteCount) bytes at data offset \(start)) extends past the data section (\(dataSize) bytes)"
        case .tensorsOverlap(let first, let second):
            "tensors '\(first)' and '\(second)' overlap"
        case .limitExceeded(let what, let limit, let offset):
            "\(what) at offset \(offset) exceeds this reader's limit of \(limit)"
        case .missingKey(let key):
            "metadata key '\(key)' is missing"
        case .wrongValueType(let key, let expected, let found):
            "metadata key '\(key)' is \(found), expected \(expected)"
        case .valueOutOfRange(let key, let value):
            "metadata key '\(key)' has out-of-range value \(value)"
        case .missingTensor(let name):
            "tensor '\(name)' is missing"
        }
    }
}
