/// eˣ for sampling weights, sixteen lanes at a time: Cephes' `expf` (Moshier), written out so
/// the same arguments give the same bits on every platform, unlike the C library's `expf`.
///
/// x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two constants so r is exact), eʳ from
/// Cephes' degree-5 minimax polynomial, times 2ⁿ built in the exponent bits. Only compares,
/// selects, adds, multiplies and integer bit operations, so it vectorises; plain multiply and
/// add (never fused), so the result does not depend on FMA support. Relative error within a
/// few units in the last place of `Foundation.expf` (tested). Domain: below −87.33 the result
/// is 0 (where `expf` gives subnormals or 0); above 88 the argument is clamped to 88 (sampling
/// only passes arguments ≤ 0). NaN in, unspecified out. exp(0) is exactly 1.
enum SamplingExp {
    typealias Lanes = SIMD16<Float>

    static let lowest: Float = -87.33654
    static let highest: Float = 88

    static func exp(_ x: Lanes) -> Lanes {
        var clamped = x
        clamped.replace(with: lowest, where: clamped .< lowest)
        clamped.replace(with: highest, where: clamped .> highest)
        // n = round-to-nearest(x·log2 e): adding 1.5·2²³ leaves n in the low mantissa bits.
        let shifter = Lanes(repeating: 12_582_912)
        let shifted = clamped * 1.442_695_04 + shifter
        let n = shifted - shifter
        let nBits = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
        var r = clamped - n * 0.693_359_375
        r = r - n * -2.121_944_4e-4
        let r2 = r * r
        var p = Lanes(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let er = p * r2 + r + 1
        let scale = unsafeBitCast((nBits &+ 127) &<< 23, to: Lanes.self)
        var result = er * scale
        result.replace(with: 0, where: x .< lowest)
        return result
    }

    /// The same function for one value: the same operations in the same order, so the same
    /// bits as a lane of the vector form.
    static func exp(_ x: Float) -> Float {
        guard x >= lowest else { return 0 }
        let clamped = min(x, highest)
        let shifted = clamped * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let nBits = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        var r = clamped - n * 0.693_359_375
        r = r - n * -2.121_944_4e-4
        let r2 = r * r
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let er = p * r2 + r + 1
        return er * Float(bitPattern: UInt32(bitPattern: (nBits &+ 127) &<< 23))
    }
}
