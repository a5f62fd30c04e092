import Testing
import TandemKernels

@Suite struct HalfFloatTests {
    @Test func knownValues() {
        #expect(HalfFloat.float(fromHalf: 0x3C00) == 1)
        #expect(HalfFloat.float(fromHalf: 0xC000) == -2)
        #expect(HalfFloat.float(fromHalf: 0x7BFF) == 65504)
        #expect(HalfFloat.float(fromHalf: 0x0001) == 0x1p-24)
        #expect(HalfFloat.float(fromHalf: 0x0400) == 0x1p-14)
        #expect(HalfFloat.float(fromHalf: 0x7C00) == .infinity)
        #expect(HalfFloat.float(fromHalf: 0x7E00).isNaN)
        #expect(HalfFloat.half(from: 1) == 0x3C00)
        #expect(HalfFloat.half(from: 65520) == 0x7C00)  // rounds up to infinity
        #expect(HalfFloat.half(from: 65519) == 0x7BFF)
        #expect(HalfFloat.half(from: 0x1p-25) == 0)      // tie to even: zero
        #expect(HalfFloat.half(from: 0x1.8p-25) == 1)
        #expect(HalfFloat.half(from: -0.0) == 0x8000)
    }

    @Test func roundTripsEveryHalf() {
        for bits in 0...UInt16.max {
            let value = HalfFloat.float(fromHalf: bits)
            if value.isNaN { continue }
            #expect(HalfFloat.half(from: value) == bits, "bits \(bits)")
        }
    }

    @Test func roundsTiesToEven() {
        // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): ties to 1.
        #expect(HalfFloat.half(from: 1 + 0x1p-11) == 0x3C00)
        // 1 + 3·2^-11 lies halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
        #expect(HalfFloat.half(from: 1 + 3 * 0x1p-11) == 0x3C02)
        #expect(HalfFloat.half(from: 1 + 0x1p-11 + 0x1p-20) == 0x3C01)
    }

    @Test func bfloat16() {
        #expect(HalfFloat.float(fromBFloat16: 0x3F80) == 1)
        #expect(HalfFloat.bfloat16(from: 1) == 0x3F80)
        #expect(HalfFloat.bfloat16(from: Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie to even
        #expect(HalfFloat.bfloat16(from: Float(bitPattern: 0x3F81_8000)) == 0x3F82)
        #expect(HalfFloat.float(fromBFloat16: HalfFloat.bfloat16(from: .nan)).isNaN)
    }
}
