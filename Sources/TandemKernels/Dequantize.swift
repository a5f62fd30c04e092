import TandemGGUF

/// Expands `count` elements of a row stored as `type` into Float32: the embedding lookup
/// path and the reference every dot product is checked against.
///
/// - Parameters:
///   - source: the first block of the row (any alignment).
///   - destination: room for `count` floats.
///   - count: elements to expand, a multiple of `type.blockSize`.
/// - Throws: `KernelError.unsupportedType` or `.columnsNotMultipleOfBlock`.
/// Scalar code following ggml's `dequantize_row_*` (ggml-quants.c).
public func dequantizeRow(
    type: GGMLType, source: UnsafeRawPointer, destination: UnsafeMutablePointer<Float>, count: Int
) throws(KernelError) {
    guard type.isSupportedByKernels else { throw .unsupportedType(type) }
    guard count >= 0, count % type.blockSize == 0 else {
        throw .columnsNotMultipleOfBlock(type: type, columns: count)
    }
    let blocks = count / type.blockSize
    let stride = type.bytesPerBlock
    for b in 0..<blocks {
        let block = source + b * stride
        let out = destination + b * type.blockSize
        switch type {
        case .f32: out[0] = block.loadUnaligned(as: Float.self)
        case .f16: out[0] = HalfFloat.float(fromHalf: block.loadUnaligned(as: UInt16.self))
        case .bf16: out[0] = HalfFloat.float(fromBFloat16: block.loadUnaligned(as: UInt16.self))
        case .q4_0: Dequantize.q4_0(block, out)
        case .q4_1: Dequantize.q4_1(block, out)
        case .q5_0: Dequantize.q5_0(block, out)
        case .q5_1: Dequantize.q5_1(block, out)
        case .q8_0: Dequantize.q8_0(block, out)
        case .q4_K: Dequantize.q4_K(block, out)
        case .q5_K: Dequantize.q5_K(block, out)
        case .q6_K: Dequantize.q6_K(block, out)
        default: preconditionFailure("unreachable: \(type) passed isSupportedByKernels")
        }
    }
}

/// One block at a time; each writes `blockSize` floats.
enum Dequantize {
    static func q4_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0)
        let qs = (block + BlockLayout.Q4_0.qs).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            out[j] = Float(Int32(qs[j] & 0xF) - 8) * d
            out[j + 16] = Float(Int32(qs[j] >> 4) - 8) * d
        }
    }

    static func q4_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0)
        let m = loadHalf(block, BlockLayout.Q4_1.m)
        let qs = (block + BlockLayout.Q4_1.qs).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            out[j] = Float(qs[j] & 0xF) * d + m
            out[j + 16] = Float(qs[j] >> 4) * d + m
        }
    }

    static func q5_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0)
        let qh = block.loadUnaligned(fromByteOffset: BlockLayout.Q5_0.qh, as: UInt32.self).littleEndian
        let qs = (block + BlockLayout.Q5_0.qs).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            let high0 = Int32((qh >> UInt32(j)) & 1) << 4
            let high1 = Int32((qh >> UInt32(j + 16)) & 1) << 4
            out[j] = Float((Int32(qs[j] & 0xF) | high0) - 16) * d
            out[j + 16] = Float((Int32(qs[j] >> 4) | high1) - 16) * d
        }
    }

    static func q5_1(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0)
        let m = loadHalf(block, BlockLayout.Q5_1.m)
        let qh = block.loadUnaligned(fromByteOffset: BlockLayout.Q5_1.qh, as: UInt32.self).littleEndian
        let qs = (block + BlockLayout.Q5_1.qs).assumingMemoryBound(to: UInt8.self)
        for j in 0..<16 {
            let high0 = Int32((qh >> UInt32(j)) & 1) << 4
            let high1 = Int32((qh >> UInt32(j + 16)) & 1) << 4
            out[j] = Float(Int32(qs[j] & 0xF) | high0) * d + m
            out[j + 16] = Float(Int32(qs[j] >> 4) | high1) * d + m
        }
    }

    static func q8_0(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0)
        let qs = (block + BlockLayout.Q8_0.qs).assumingMemoryBound(to: Int8.self)
        for j in 0..<32 { out[j] = Float(qs[j]) * d }
    }

    static func q4_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0)
        let dmin = loadHalf(block, BlockLayout.Q4_K.dmin)
        let scales = block + BlockLayout.Q4_K.scales
        let qs = (block + BlockLayout.Q4_K.qs).assumingMemoryBound(to: UInt8.self)
        for chunk in 0..<4 {
            let (sc0, m0) = BlockLayout.kQuantScaleMin(scales, 2 * chunk)
            let (sc1, m1) = BlockLayout.kQuantScaleMin(scales, 2 * chunk + 1)
            let d0 = d * Float(sc0), min0 = dmin * Float(m0)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let q = qs + 32 * chunk
            let y = out + 64 * chunk
            for l in 0..<32 {
                y[l] = d0 * Float(q[l] & 0xF) - min0
                y[l + 32] = d1 * Float(q[l] >> 4) - min1
            }
        }
    }

    static func q5_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, 0)
        let dmin = loadHalf(block, BlockLayout.Q5_K.dmin)
        let scales = block + BlockLayout.Q5_K.scales
        let qh = (block + BlockLayout.Q5_K.qh).assumingMemoryBound(to: UInt8.self)
        let qs = (block + BlockLayout.Q5_K.qs).assumingMemoryBound(to: UInt8.self)
        for chunk in 0..<4 {
            let (sc0, m0) = BlockLayout.kQuantScaleMin(scales, 2 * chunk)
            let (sc1, m1) = BlockLayout.kQuantScaleMin(scales, 2 * chunk + 1)
            let d0 = d * Float(sc0), min0 = dmin * Float(m0)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let q = qs + 32 * chunk
            let y = out + 64 * chunk
            let bit0 = UInt8(1) << UInt8(2 * chunk), bit1 = UInt8(2) << UInt8(2 * chunk)
            for l in 0..<32 {
                let h0: UInt8 = qh[l] & bit0 != 0 ? 16 : 0
                let h1: UInt8 = qh[l] & bit1 != 0 ? 16 : 0
                y[l] = d0 * Float((q[l] & 0xF) + h0) - min0
                y[l + 32] = d1 * Float((q[l] >> 4) + h1) - min1
            }
        }
    }

    /// Q6_K: each half (128 elements) uses 64 bytes of `ql` and 32 of `qh`. Element
    /// l + 32k (l < 32, k < 4) takes the low or high nibble of ql[l] (k = 0, 2) or
    /// ql[l + 32] (k = 1, 3) and bits 2k, 2k+1 of qh[l]; its scale is scales[l / 16 + 2k].
    static func q6_K(_ block: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>) {
        let d = loadHalf(block, BlockLayout.Q6_K.d)
        for half in 0..<2 {
            let ql = (block + BlockLayout.Q6_K.ql + 64 * half).assumingMemoryBound(to: UInt8.self)
            let qh = (block + BlockLayout.Q6_K.qh + 32 * half).assumingMemoryBound(to: UInt8.self)
            let sc = (block + BlockLayout.Q6_K.scales + 8 * half).assumingMemoryBound(to: Int8.self)
            let y = out + 128 * half
            for l in 0..<32 {
                let s = l / 16
                let q1 = Int32((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32
                let q2 = Int32((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32
                let q3 = Int32((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32
                let q4 = Int32((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32
                y[l] = d * Float(sc[s]) * Float(q1)
                y[l + 32] = d * Float(sc[s + 2]) * Float(q2)
                y[l + 64] = d * Float(sc[s + 4]) * Float(q3)
                y[l + 96] = d * Float(sc[s + 6]) * Float(q4)
            }
        }
    }
}
