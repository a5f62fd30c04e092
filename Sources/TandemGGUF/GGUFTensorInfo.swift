/// One entry of the tensor table: name, shape, element type and where its data lies.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// Dimensions in ggml order: `shape[0]` is the row length (contiguous), then rows, ...
    public let shape: [Int]
    public let type: GGMLType
    /// Offset of the data from the start of the data section (a multiple of the alignment).
    public let dataOffset: Int
    /// Bytes of data: whole blocks of `type` for every row.
    public let byteCount: Int

    public init(name: String, shape: [Int], type: GGMLType, dataOffset: Int, byteCount: Int) {
        self.name = name
        self.shape = shape
        self.type = type
        self.dataOffset = dataOffset
        self.byteCount = byteCount
    }

    public var elementCount: Int { shape.reduce(1, *) }
    /// Length of one contiguous row (`shape[0]`).
    public var rowLength: Int { shape[0] }
    /// Rows in the tensor (all dimensions but the first, multiplied).
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }
    /// Bytes of one row.
    public var bytesPerRow: Int { rowLength / type.blockSize * type.bytesPerBlock }
}
