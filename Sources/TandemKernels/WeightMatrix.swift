import TandemGGUF

/// A read-only view of a `rows × columns` weight matrix in ggml layout: each row is
/// `columns` elements stored as whole blocks of `type`, rows `rowBytes` apart.
///
/// The memory (usually the model's memory map) must outlive the view and not change.
public struct WeightMatrix: @unchecked Sendable {
    // @unchecked: an immutable view; the memory behind `data` is never written.
    public let type: GGMLType
    public let rows: Int
    public let columns: Int
    public let data: UnsafeRawPointer
    /// Bytes of one row.
    public let rowBytes: Int

    /// - Throws: `KernelError` for unsupported types, row lengths that are not whole
    ///   blocks, non-positive shapes, or a `byteCount` smaller than the matrix.
    public init(type: GGMLType, rows: Int, columns: Int, data: UnsafeRawPointer, byteCount: Int) throws(KernelError) {
        guard type.isSupportedByKernels else { throw .unsupportedType(type) }
        guard rows > 0, columns > 0 else { throw .invalidShape(rows: rows, columns: columns) }
        guard let rowBytes = type.byteCount(elements: columns) else {
            throw .columnsNotMultipleOfBlock(type: type, columns: columns)
        }
        let (needed, overflow) = rowBytes.multipliedReportingOverflow(by: rows)
        guard !overflow, needed <= byteCount else {
            throw .bufferTooSmall(needed: overflow ? Int.max : needed, available: byteCount)
        }
        self.type = type
        self.rows = rows
        self.columns = columns
        self.data = data
        self.rowBytes = rowBytes
    }

    /// The first byte of row `r`.
    @inlinable public func row(_ r: Int) -> UnsafeRawPointer {
        data + r * rowBytes
    }

    /// Bytes of the whole matrix.
    public var byteCount: Int { rows * rowBytes }

    /// Expands row `r` into `destination` (`columns` floats): the embedding lookup.
    public func dequantize(row r: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(r >= 0 && r < rows, "row \(r) out of 0..<\(rows)")
        do { try dequantizeRow(type: type, source: row(r), destination: destination, count: columns) }
        catch { preconditionFailure("validated at init: \(error)") }
    }
}
