import CTandemKernels
import TandemGGUF

/// Byte offsets of the fields of each quantised block, read from the C structs in
/// `TandemBlocks.h` (the one place the layouts are written; see that file for the
/// meaning of every field). Reference code reads blocks through these offsets.
@usableFromInline
enum BlockLayout {
    @usableFromInline enum Q4_0 {
        @usableFromInline static let bytes = MemoryLayout<tandem_block_q4_0>.size
        @usableFromInline static let qs = MemoryLayout<tandem_block_q4_0>.offset(of: \.qs)!
    }
    @usableFromInline enum Q4_1 {
        @usableFromInline static let bytes = MemoryLayout<tandem_block_q4_1>.size
        @usableFromInline static let m = MemoryLayout<tandem_block_q4_1>.offset(of: \.m)!
        @usableFromInline static let qs = MemoryLayout<tandem_block_q4_1>.offset(of: \.qs)!
    }
    @usableFromInline enum Q5_0 {
        @usableFromInline static let bytes = MemoryLayout<tandem_block_q5_0>.size
        @usableFromInline static let qh = MemoryLayout<tandem_block_q5_0>.offset(of: \.qh)!
        @usableFromInline static let qs = MemoryLayout<tandem_block_q5_0>.offset(of: \.qs)!
    }
    @usableFromInline enum Q5_1 {
        @usableFromInline static let bytes = MemoryLayout<tandem_block_q5_1>.size
        @usableFromInline static let m = MemoryLayout<tandem_block_q5_1>.offset(of: \.m)!
        @usableFromInline static let qh = MemoryLayout<tandem_block_q5_1>.offset(of: \.qh)!
        @usableFromInline static let qs = MemoryLayout<tandem_block_q5_1>.offset(of: \.qs)!
    }
    @usableFromInline enum Q8_0 {
        @usableFromInline static let bytes = MemoryLayout<tandem_block_q8_0>.size
        @usableFromInline static let qs = MemoryLayout<tandem_block_q8_0>.offset(of: \.qs)!
    }
    @usableFromInline enum Q4_K {
        @usableFromInline static let bytes = MemoryLayout<tandem_block_q4_K>.size
        @usableFromInline static let dmin = MemoryLayout<tandem_block_q4_K>.offset(of: \.dmin)!
        @usableFromInline static let scales = MemoryLayout<tandem_block_q4_K>.offset(of: \.scales)!
        @usableFromInline static let qs = MemoryLayout<tandem_block_q4_K>.offset(of: \.qs)!
    }
    @usableFromInline enum Q5_K {
        @usableFromInline static let bytes = MemoryLayout<tandem_block_q5_K>.size
        @usableFromInline static let dmin = MemoryLayout<tandem_block_q5_K>.offset(of: \.dmin)!
        @usableFromInline static let scales = MemoryLayout<tandem_block_q5_K>.offset(of: \.scales)!
        @usableFromInline static let qh = MemoryLayout<tandem_block_q5_K>.offset(of: \.qh)!
        @usableFromInline static let qs = MemoryLayout<tandem_block_q5_K>.offset(of: \.qs)!
    }
    @usableFromInline enum Q6_K {
        @usableFromInline static let bytes = MemoryLayout<tandem_block_q6_K>.size
        @usableFromInline static let ql = MemoryLayout<tandem_block_q6_K>.offset(of: \.ql)!
        @usableFromInline static let qh = MemoryLayout<tandem_block_q6_K>.offset(of: \.qh)!
        @usableFromInline static let scales = MemoryLayout<tandem_block_q6_K>.offset(of: \.scales)!
        @usableFromInline static let d = MemoryLayout<tandem_block_q6_K>.offset(of: \.d)!
    }

    /// The 6-bit scale and minimum of sub-block `j` (0..<8) of a Q4_K or Q5_K block,
    /// unpacked from the 12 `scales` bytes as ggml's `get_scale_min_k4`: sub-blocks 0-3 keep
    /// their low 6 bits in bytes j and j + 4; sub-blocks 4-7 keep 4 bits in byte j + 4 and
    /// their top 2 bits in the spare top bits of bytes j - 4 and j.
    @inlinable @inline(__always)
    static func kQuantScaleMin(_ scales: UnsafeRawPointer, _ j: Int) -> (scale: Int32, min: Int32) {
        let q = scales.assumingMemoryBound(to: UInt8.self)
        if j < 4 {
            return (Int32(q[j] & 63), Int32(q[j + 4] & 63))
        }
        let scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4)
        let min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4)
        return (Int32(scale), Int32(min))
    }
}

@inlinable @inline(__always)
func loadHalf(_ base: UnsafeRawPointer, _ offset: Int) -> Float {
    HalfFloat.float(fromHalf: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
}

extension GGMLType {
    /// Whether `dequantizeRow` and the matrix products handle this type.
    public var isSupportedByKernels: Bool {
        switch self {
        case .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K: true
        default: false
        }
    }
}
