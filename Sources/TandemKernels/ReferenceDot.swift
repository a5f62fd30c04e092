import TandemGGUF

/// Scalar reference dot products of one quantised weight row with one quantised activation
/// row: the twin every fast kernel is tested against.
///
/// Each follows ggml's `ggml_vec_dot_*_generic` (ggml-cpu/quants.c): integer dot products
/// per block, scaled by the product of the weight and activation scales; Q4_1/Q5_1 add
/// `m * s` (Q8_1's scaled sum); K-quants subtract `dmin * min * sum` using the group sums.
public enum ReferenceDot {
    /// dot(weight row, activation row `token`) for a row of `activations.columns` elements.
    /// `type` must be a quantised type whose `activationFormat` matches `activations.format`.
    public static func dot(
        type: GGMLType, row: UnsafeRawPointer, activations: QuantizedActivations, token: Int
    ) -> Float {
        precondition(type.activationFormat == activations.format, "activation format mismatch for \(type)")
        let blocks = activations.columns / type.blockSize
        var sum: Float = 0
        for b in 0..<blocks {
            let block = row + b * type.bytesPerBlock
            switch type {
            case .q4_0: sum += q4_0(block, activations, token, b)
            case .q4_1: sum += q4_1(block, activations, token, b)
            case .q5_0: sum += q5_0(block, activations, token, b)
            case .q5_1: sum += q5_1(block, activations, token, b)
            case .q8_0: sum += q8_0(block, activations, token, b)
            case .q4_K: sum += q4_K(block, activations, token, b, fifthBit: false)
            case .q5_K: sum += q4_K(block, activations, token, b, fifthBit: true)
            case .q6_K: sum += q6_K(block, activations, token, b)
            default: preconditionFailure("no quantised dot product for \(type)")
            }
        }
        return sum
    }

    /// Σ (q - offset) * a over one 32-block whose 4-bit (or 5-bit with `qh`) values are
    /// in ggml's nibble order.
    @inline(__always)
    private static func nibbleBlockDot(
        qs: UnsafePointer<UInt8>, qh: UInt32?, offset: Int32, a: UnsafePointer<Int8>
    ) -> Int32 {
        var sum: Int32 = 0
        for j in 0..<16 {
            var low = Int32(qs[j] & 0xF), high = Int32(qs[j] >> 4)
            if let qh {
                low |= Int32((qh >> UInt32(j)) & 1) << 4
                high |= Int32((qh >> UInt32(j + 16)) & 1) << 4
            }
            sum += (low - offset) * Int32(a[j]) + (high - offset) * Int32(a[j + 16])
        }
        return sum
    }

    private static func q4_0(_ block: UnsafeRawPointer, _ x: QuantizedActivations, _ t: Int, _ b: Int) -> Float {
        let qs = (block + BlockLayout.Q4_0.qs).assumingMemoryBound(to: UInt8.self)
        let sumi = nibbleBlockDot(qs: qs, qh: nil, offset: 8, a: x.values(token: t) + 32 * b)
        return Float(sumi) * loadHalf(block, 0) * x.scale(token: t, block: b)
    }

    private static func q4_1(_ block: UnsafeRawPointer, _ x: QuantizedActivations, _ t: Int, _ b: Int) -> Float {
        let qs = (block + BlockLayout.Q4_1.qs).assumingMemoryBound(to: UInt8.self)
        let sumi = nibbleBlockDot(qs: qs, qh: nil, offset: 0, a: x.values(token: t) + 32 * b)
        return loadHalf(block, 0) * x.scale(token: t, block: b) * Float(sumi)
            + loadHalf(block, BlockLayout.Q4_1.m) * x.scaledSum(token: t, block: b)
    }

    private static func q5_0(_ block: UnsafeRawPointer, _ x: QuantizedActivations, _ t: Int, _ b: Int) -> Float {
        let qs = (block + BlockLayout.Q5_0.qs).assumingMemoryBound(to: UInt8.self)
        let qh = block.loadUnaligned(fromByteOffset: BlockLayout.Q5_0.qh, as: UInt32.self).littleEndian
        let sumi = nibbleBlockDot(qs: qs, qh: qh, offset: 16, a: x.values(token: t) + 32 * b)
        return loadHalf(block, 0) * x.scale(token: t, block: b) * Float(sumi)
    }

    private static func q5_1(_ block: UnsafeRawPointer, _ x: QuantizedActivations, _ t: Int, _ b: Int) -> Float {
        let qs = (block + BlockLayout.Q5_1.qs).assumingMemoryBound(to: UInt8.self)
        let qh = block.loadUnaligned(fromByteOffset: BlockLayout.Q5_1.qh, as: UInt32.self).littleEndian
        let sumi = nibbleBlockDot(qs: qs, qh: qh, offset: 0, a: x.values(token: t) + 32 * b)
        return loadHalf(block, 0) * x.scale(token: t, block: b) * Float(sumi)
            + loadHalf(block, BlockLayout.Q5_1.m) * x.scaledSum(token: t, block: b)
    }

    private static func q8_0(_ block: UnsafeRawPointer, _ x: QuantizedActivations, _ t: Int, _ b: Int) -> Float {
        let qs = (block + BlockLayout.Q8_0.qs).assumingMemoryBound(to: Int8.self)
        let a = x.values(token: t) + 32 * b
        var sumi: Int32 = 0
        for j in 0..<32 { sumi += Int32(qs[j]) * Int32(a[j]) }
        return Float(sumi) * (loadHalf(block, 0) * x.scale(token: t, block: b))
    }

    /// Q4_K (and Q5_K with `fifthBit`): Σ_j scale_j Σ q*a − Σ_j min_j (bsum_2j + bsum_2j+1),
    /// scaled by d·d_a and dmin·d_a.
    private static func q4_K(
        _ block: UnsafeRawPointer, _ x: QuantizedActivations, _ t: Int, _ b: Int, fifthBit: Bool
    ) -> Float {
        let scales = block + (fifthBit ? BlockLayout.Q5_K.scales : BlockLayout.Q4_K.scales)
        let qs = (block + (fifthBit ? BlockLayout.Q5_K.qs : BlockLayout.Q4_K.qs)).assumingMemoryBound(to: UInt8.self)
        let qh = (block + BlockLayout.Q5_K.qh).assumingMemoryBound(to: UInt8.self)
        let a = x.values(token: t) + 256 * b
        var sumi: Int32 = 0
        var minSum: Int32 = 0
        for sub in 0..<8 {
            let (scale, minimum) = BlockLayout.kQuantScaleMin(scales, sub)
            let q = qs + 32 * (sub / 2)
            let shift: UInt8 = sub % 2 == 0 ? 0 : 4
            var dot: Int32 = 0
            for l in 0..<32 {
                var v = Int32((q[l] >> shift) & 0xF)
                if fifthBit && qh[l] & (UInt8(1) << UInt8(sub)) != 0 { v += 16 }
                dot += v * Int32(a[32 * sub + l])
            }
            sumi += scale * dot
            minSum += minimum * (Int32(x.sum16(token: t, group: 16 * b + 2 * sub))
                                 + Int32(x.sum16(token: t, group: 16 * b + 2 * sub + 1)))
        }
        let da = x.scale(token: t, block: b)
        let d = loadHalf(block, 0) * da
        let dmin = loadHalf(block, BlockLayout.Q4_K.dmin) * da
        return d * Float(sumi) - dmin * Float(minSum)
    }

    private static func q6_K(_ block: UnsafeRawPointer, _ x: QuantizedActivations, _ t: Int, _ b: Int) -> Float {
        let a = x.values(token: t) + 256 * b
        let sc = (block + BlockLayout.Q6_K.scales).assumingMemoryBound(to: Int8.self)
        var sumi: Int32 = 0
        for half in 0..<2 {
            let ql = (block + BlockLayout.Q6_K.ql + 64 * half).assumingMemoryBound(to: UInt8.self)
            let qh = (block + BlockLayout.Q6_K.qh + 32 * half).assumingMemoryBound(to: UInt8.self)
            let ah = a + 128 * half
            // Sub-block s (16 elements) of this half: k = s / 2 selects the 32-run.
            for k in 0..<4 {
                var dots: (Int32, Int32) = (0, 0)
                for l in 0..<32 {
                    let low = k % 2 == 0 ? ql[l] : ql[l + 32]
                    let nibble = k < 2 ? low & 0xF : low >> 4
                    let q = Int32(nibble | (((qh[l] >> UInt8(2 * k)) & 3) << 4)) - 32
                    let p = q * Int32(ah[32 * k + l])
                    if l < 16 { dots.0 += p } else { dots.1 += p }
                }
                sumi += Int32(sc[8 * half + 2 * k]) * dots.0 + Int32(sc[8 * half + 2 * k + 1]) * dots.1
            }
        }
        return loadHalf(block, BlockLayout.Q6_K.d) * x.scale(token: t, block: b) * Float(sumi)
    }
}
