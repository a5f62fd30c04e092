import TandemGGUF

/// The Swift matrix product for CPUs without the C fast paths (and any type they lack).
///
/// Each weight row is expanded once per call into signed bytes plus per-block scales, then
/// every token runs through it with plain integer loops the compiler vectorises. The
/// integer sums and the Float32 expressions per block are those of `ReferenceDot`, so
/// results equal the reference bit for bit; only the work is arranged for speed.
enum PortableKernels {
    /// Per-block data of an expanded row. Sub-blocks are 32 wide except Q6_K's 16.
    struct ExpandedRow {
        var values: UnsafeMutablePointer<Int8>
        /// Per block: d (Q6_K: d), and for Q4_1/Q5_1 the minimum m, for K-quants dmin.
        var blockScale: UnsafeMutablePointer<Float>
        var blockMin: UnsafeMutablePointer<Float>
        /// Per sub-block integer scale and (K-quants) minimum.
        var subScale: UnsafeMutablePointer<Int32>
        var subMin: UnsafeMutablePointer<Int32>
    }

    static func multiplyRows(
        _ weights: WeightMatrix, rows: Range<Int>, activations: QuantizedActivations,
        output: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        let columns = weights.columns
        let blocks = columns / weights.type.blockSize
        let subs = columns / 16
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: columns) { values in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * blocks) { floats in
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * subs) { ints in
                    let row = ExpandedRow(values: values.baseAddress!, blockScale: floats.baseAddress!,
                                          blockMin: floats.baseAddress! + blocks,
                                          subScale: ints.baseAddress!, subMin: ints.baseAddress! + subs)
                    for r in rows {
                        expand(weights.type, weights.row(r), blocks: blocks, into: row)
                        for t in 0..<activations.tokens {
                            output[t * outputStride + (r - rows.lowerBound)] =
                                dot(weights.type, row, blocks: blocks, activations, token: t)
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func dot32(_ w: UnsafePointer<Int8>, _ a: UnsafePointer<Int8>, count: Int) -> Int32 {
        var sum: Int32 = 0
        for i in 0..<count { sum &+= Int32(w[i]) &* Int32(a[i]) }
        return sum
    }

    private static func dot(
        _ type: GGMLType, _ row: ExpandedRow, blocks: Int, _ x: QuantizedActivations, token t: Int
    ) -> Float {
        let a = x.values(token: t)
        let w = UnsafePointer(row.values)
        var total: Float = 0
        switch type {
        case .q4_0, .q5_0:
            for b in 0..<blocks {
                let sumi = dot32(w + 32 * b, a + 32 * b, count: 32)
                total += Float(sumi) * row.blockScale[b] * x.scale(token: t, block: b)
            }
        case .q8_0:
            for b in 0..<blocks {
                let sumi = dot32(w + 32 * b, a + 32 * b, count: 32)
                total += Float(sumi) * (row.blockScale[b] * x.scale(token: t, block: b))
            }
        case .q4_1, .q5_1:
            for b in 0..<blocks {
                let sumi = dot32(w + 32 * b, a + 32 * b, count: 32)
                total += row.blockScale[b] * x.scale(token: t, block: b) * Float(sumi)
                    + row.blockMin[b] * x.scaledSum(token: t, block: b)
            }
        case .q4_K, .q5_K:
            for b in 0..<blocks {
                var sumi: Int32 = 0, minSum: Int32 = 0
                for sub in 0..<8 {
                    let s = 8 * b + sub
                    sumi &+= row.subScale[s] &* dot32(w + 32 * s, a + 32 * s, count: 32)
                    minSum &+= row.subMin[s] &* x.sum32(token: t, group: s)
                }
                let da = x.scale(token: t, block: b)
                total += row.blockScale[b] * da * Float(sumi) - row.blockMin[b] * da * Float(minSum)
            }
        default:  // .q6_K
            for b in 0..<blocks {
                var sumi: Int32 = 0
                for sub in 0..<16 {
                    let s = 16 * b + sub
                    sumi &+= row.subScale[s] &* dot32(w + 16 * s, a + 16 * s, count: 16)
                }
                total += row.blockScale[b] * x.scale(token: t, block: b) * Float(sumi)
            }
        }
        return total
    }

    /// Expands one row: signed values (offsets removed), block scales, sub-block scales.
    private static func expand(_ type: GGMLType, _ source: UnsafeRawPointer, blocks: Int, into row: ExpandedRow) {
        let stride = type.bytesPerBlock
        for b in 0..<blocks {
            let block = source + b * stride
            switch type {
            case .q4_0, .q4_1, .q5_0, .q5_1:
                let (qsOffset, qhOffset, minOffset): (Int, Int?, Int?) = switch type {
                case .q4_0: (BlockLayout.Q4_0.qs, nil, nil)
                case .q4_1: (BlockLayout.Q4_1.qs, nil, BlockLayout.Q4_1.m)
                case .q5_0: (BlockLayout.Q5_0.qs, BlockLayout.Q5_0.qh, nil)
                default: (BlockLayout.Q5_1.qs, BlockLayout.Q5_1.qh, BlockLayout.Q5_1.m)
                }
                let offset: Int8 = type == .q4_0 ? 8 : type == .q5_0 ? 16 : 0
                let qs = (block + qsOffset).assumingMemoryBound(to: UInt8.self)
                let qh = qhOffset.map { block.loadUnaligned(fromByteOffset: $0, as: UInt32.self).littleEndian } ?? 0
                let out = row.values + 32 * b
                for j in 0..<16 {
                    let high0 = UInt8(truncatingIfNeeded: (qh >> UInt32(j)) & 1) << 4
                    let high1 = UInt8(truncatingIfNeeded: (qh >> UInt32(j + 16)) & 1) << 4
                    out[j] = Int8(bitPattern: (qs[j] & 0xF) | high0) &- offset
                    out[j + 16] = Int8(bitPattern: (qs[j] >> 4) | high1) &- offset
                }
                row.blockScale[b] = loadHalf(block, 0)
                row.blockMin[b] = minOffset.map { loadHalf(block, $0) } ?? 0
            case .q8_0:
                let qs = (block + BlockLayout.Q8_0.qs).assumingMemoryBound(to: Int8.self)
                (row.values + 32 * b).update(from: qs, count: 32)
                row.blockScale[b] = loadHalf(block, 0)
            case .q4_K, .q5_K:
                let fifth = type == .q5_K
                let scales = block + (fifth ? BlockLayout.Q5_K.scales : BlockLayout.Q4_K.scales)
                let qs = (block + (fifth ? BlockLayout.Q5_K.qs : BlockLayout.Q4_K.qs)).assumingMemoryBound(to: UInt8.self)
                let qh = (block + BlockLayout.Q5_K.qh).assumingMemoryBound(to: UInt8.self)
                for sub in 0..<8 {
                    let (scale, minimum) = BlockLayout.kQuantScaleMin(scales, sub)
                    row.subScale[8 * b + sub] = scale
                    row.subMin[8 * b + sub] = minimum
                    let q = qs + 32 * (sub / 2)
                    let shift: UInt8 = sub % 2 == 0 ? 0 : 4
                    let out = row.values + 256 * b + 32 * sub
                    let bit = UInt8(1) << UInt8(sub)
                    for l in 0..<32 {
                        var v = (q[l] >> shift) & 0xF
                        if fifth && qh[l] & bit != 0 { v += 16 }
                        out[l] = Int8(bitPattern: v)
                    }
                }
                row.blockScale[b] = loadHalf(block, 0)
                row.blockMin[b] = loadHalf(block, BlockLayout.Q4_K.dmin)
            default:  // .q6_K
                let sc = (block + BlockLayout.Q6_K.scales).assumingMemoryBound(to: Int8.self)
                for s in 0..<16 { row.subScale[16 * b + s] = Int32(sc[s]) }
                for half in 0..<2 {
                    let ql = (block + BlockLayout.Q6_K.ql + 64 * half).assumingMemoryBound(to: UInt8.self)
                    let qh = (block + BlockLayout.Q6_K.qh + 32 * half).assumingMemoryBound(to: UInt8.self)
                    let out = row.values + 256 * b + 128 * half
                    for l in 0..<32 {
                        out[l] = Int8(bitPattern: (ql[l] & 0xF) | ((qh[l] & 3) << 4)) &- 32
                        out[l + 32] = Int8(bitPattern: (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) &- 32
                        out[l + 64] = Int8(bitPattern: (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) &- 32
                        out[l + 96] = Int8(bitPattern: (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) &- 32
                    }
                }
                row.blockScale[b] = loadHalf(block, BlockLayout.Q6_K.d)
            }
        }
    }
}
