import TandemGGUF

/// Why a kernel cannot work on the data it was given.
///
/// Raised when a weight matrix or buffer is set up (not inside hot loops, which check
/// their contracts with `precondition`).
public enum KernelError: Error, Equatable, CustomStringConvertible {
    /// The tensor type has no dequantiser or matrix product here.
    case unsupportedType(GGMLType)
    /// A row length that is not a whole number of the type's blocks.
    case columnsNotMultipleOfBlock(type: GGMLType, columns: Int)
    /// A buffer holds fewer bytes than the shape needs.
    case bufferTooSmall(needed: Int, available: Int)
    /// A dimension that must be positive is not.
    case invalidShape(rows: Int, columns: Int)

    public var description: String {
        switch self {
        case .unsupportedType(let type):
            "tensor type \(type) is not supported by the kernels"
        case .columnsNotMultipleOfBlock(let type, let columns):
            "\(columns) columns is not a multiple of the \(type) block size \(type.blockSize)"
        case .bufferTooSmall(let needed, let available):
            "buffer holds \(available) bytes, \(needed) needed"
        case .invalidShape(let rows, let columns):
            "invalid matrix shape \(rows) x \(columns)"
        }
    }
}
