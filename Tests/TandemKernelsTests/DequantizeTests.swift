import CTandemKernels
import Testing
import TandemGGUF
import TandemKernels

@Suite struct DequantizeTests {
    @Test(arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K])
    func blockStructsMatchGGMLSizes(type: GGMLType) {
        let size: Int = switch type {
        case .q4_0: MemoryLayout<tandem_block_q4_0>.size
        case .q4_1: MemoryLayout<tandem_block_q4_1>.size
        case .q5_0: MemoryLayout<tandem_block_q5_0>.size
        case .q5_1: MemoryLayout<tandem_block_q5_1>.size
        case .q8_0: MemoryLayout<tandem_block_q8_0>.size
        case .q4_K: MemoryLayout<tandem_block_q4_K>.size
        case .q5_K: MemoryLayout<tandem_block_q5_K>.size
        default: MemoryLayout<tandem_block_q6_K>.size
        }
        #expect(size == type.bytesPerBlock)
    }

    private func half(_ v: Float) -> [UInt8] {
        let h = HalfFloat.half(from: v)
        return [UInt8(h & 0xFF), UInt8(h >> 8)]
    }

    private func expand(_ type: GGMLType, _ bytes: [UInt8]) -> [Float] {
        bytes.withUnsafeBytes { dequantized(type: type, row: $0.baseAddress!, columns: type.blockSize) }
    }

    @Test func q4_0NibbleOrder() {
        // qs[j] = low j % 16, high 15 - j % 16; d = 0.5.
        let qs = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let out = expand(.q4_0, half(0.5) + qs)
        for j in 0..<16 {
            #expect(out[j] == Float(j - 8) * 0.5)
            #expect(out[j + 16] == Float(7 - j) * 0.5)
        }
    }

    @Test func q4_1AddsMinimum() {
        let qs = (0..<16).map { UInt8($0) | 0x30 }
        let out = expand(.q4_1, half(0.25) + half(-1) + qs)
        for j in 0..<16 {
            #expect(out[j] == Float(j) * 0.25 - 1)
            #expect(out[j + 16] == 3 * 0.25 - 1)
        }
    }

    @Test func q5_0FifthBits() {
        // Fifth bit set on even elements 0..<32; nibbles all 1.
        let qh: UInt32 = 0x5555_5555
        let qhBytes = (0..<4).map { UInt8((qh >> (8 * UInt32($0))) & 0xFF) }
        let out = expand(.q5_0, half(1) + qhBytes + [UInt8](repeating: 0x11, count: 16))
        for j in 0..<32 { #expect(out[j] == (j % 2 == 0 ? 17 - 16 : 1 - 16)) }
        let out1 = expand(.q5_1, half(2) + half(0.5) + qhBytes + [UInt8](repeating: 0x11, count: 16))
        for j in 0..<32 { #expect(out1[j] == (j % 2 == 0 ? 17 * 2 + 0.5 : 2 + 0.5)) }
    }

    @Test func q8_0() {
        let qs: [UInt8] = (0..<32).map { UInt8(bitPattern: Int8($0 * 8 - 128)) }
        let out = expand(.q8_0, half(0.125) + qs)
        for j in 0..<32 { #expect(out[j] == Float(j * 8 - 128) * 0.125) }
    }

    /// Packs 6-bit scales and minimums as ggml's Q4_K quantiser does.
    private func packKScales(_ sc: [UInt8], _ mn: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 12)
        for j in 0..<8 {
            if j < 4 {
                out[j] = sc[j]; out[j + 4] = mn[j]
            } else {
                out[j + 4] = (sc[j] & 0xF) | ((mn[j] & 0xF) << 4)
                out[j - 4] |= (sc[j] >> 4) << 6
                out[j] |= (mn[j] >> 4) << 6
            }
        }
        return out
    }

    @Test func q4_KAndQ5_K() {
        // 6-bit values with the top bits set, so the packing of sub-blocks 4-7 is exercised.
        let sc: [UInt8] = [1, 63, 17, 32, 45, 2, 60, 33]
        let mn: [UInt8] = [62, 0, 5, 48, 31, 63, 16, 9]
        // Element e of sub-block s has nibble (e + s) % 16; Q5_K sets the fifth bit on odd e.
        var qs = [UInt8](repeating: 0, count: 128)
        for chunk in 0..<4 {
            for l in 0..<32 {
                let low = UInt8((l + 2 * chunk) % 16), high = UInt8((l + 2 * chunk + 1) % 16)
                qs[32 * chunk + l] = low | high << 4
            }
        }
        let head = half(0.5) + half(0.25) + packKScales(sc, mn)
        let out4 = expand(.q4_K, head + qs)
        let qh = (0..<32).map { $0 % 2 == 1 ? UInt8(0xFF) : 0 }
        let out5 = expand(.q5_K, head + qh + qs)
        for s in 0..<8 {
            for e in 0..<32 {
                let q = Float((e + s) % 16)
                let expected4 = 0.5 * Float(sc[s]) * q - 0.25 * Float(mn[s])
                let expected5 = 0.5 * Float(sc[s]) * (q + (e % 2 == 1 ? 16 : 0)) - 0.25 * Float(mn[s])
                #expect(out4[32 * s + e] == expected4)
                #expect(out5[32 * s + e] == expected5)
            }
        }
    }

    @Test func q6_K() {
        // Element i of the block gets q = i % 64 and scale (i / 16) - 8.
        var ql = [UInt8](repeating: 0, count: 128), qh = [UInt8](repeating: 0, count: 64)
        for i in 0..<256 {
            let q = UInt8(i % 64)
            let half = i / 128, e = i % 128, k = e / 32, l = e % 32
            let qlIndex = 64 * half + l + (k % 2 == 1 ? 32 : 0)
            ql[qlIndex] |= k < 2 ? (q & 0xF) : (q & 0xF) << 4
            qh[32 * half + l] |= (q >> 4) << UInt8(2 * k)
        }
        let scales = (0..<16).map { UInt8(bitPattern: Int8($0 - 8)) }
        let out = expand(.q6_K, ql + qh + scales + half(0.5))
        for i in 0..<256 {
            #expect(out[i] == 0.5 * Float(i / 16 - 8) * Float(i % 64 - 32), "element \(i)")
        }
    }

    @Test func plainTypes() throws {
        var f32: [Float] = [1.5, -2, 0.25]
        let out32 = f32.withUnsafeMutableBytes { dequantized(type: .f32, row: $0.baseAddress!, columns: 3) }
        #expect(out32 == [1.5, -2, 0.25])
        let f16 = [Float(1.5), -2, 0.25].map(HalfFloat.half(from:))
        let out16 = f16.withUnsafeBytes { dequantized(type: .f16, row: $0.baseAddress!, columns: 3) }
        #expect(out16 == [1.5, -2, 0.25])
        let bf = [Float(1.5), -2, 0.25].map(HalfFloat.bfloat16(from:))
        let outBF = bf.withUnsafeBytes { dequantized(type: .bf16, row: $0.baseAddress!, columns: 3) }
        #expect(outBF == [1.5, -2, 0.25])
        f32[0] = 0
    }

    @Test func rejectsBadInput() {
        var out = [Float](repeating: 0, count: 64)
        let bytes = [UInt8](repeating: 0, count: 64)
        bytes.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { dst in
                #expect(throws: KernelError.unsupportedType(.q2_K)) {
                    try dequantizeRow(type: .q2_K, source: raw.baseAddress!, destination: dst.baseAddress!, count: 256)
                }
                #expect(throws: KernelError.columnsNotMultipleOfBlock(type: .q4_0, columns: 40)) {
                    try dequantizeRow(type: .q4_0, source: raw.baseAddress!, destination: dst.baseAddress!, count: 40)
                }
            }
        }
    }
}
