import Testing
import TandemKernels

@Suite struct ActivationQuantizationTests {
    /// Rows with zeros, ties and a sign-flipped maximum, besides random ones.
    static func rows(columns: Int) -> [[Float]] {
        var special = [Float](repeating: 0, count: columns)
        var ties = [Float](repeating: 0, count: columns)
        for i in 0..<columns { ties[i] = Float(i % 9) - 4.5 }  // x * 127 / amax hits .5 often
        special[3] = -7; special[200 % columns] = 7  // equal magnitudes, negative first
        return [randomActivations(count: columns, seed: 1), randomActivations(count: columns, seed: 2),
                [Float](repeating: 0, count: columns), ties, special]
    }

    @Test(arguments: ActivationFormat.allCases, KernelBackend.available)
    func backendMatchesReferenceBitForBit(format: ActivationFormat, backend: KernelBackend) {
        let columns = 512
        let rows = Self.rows(columns: columns)
        let input = rows.flatMap { $0 }
        let reference = ActivationBuffer(format: format)
        let fast = ActivationBuffer(format: format)
        input.withUnsafeBufferPointer { x in
            let a = reference.quantize(x.baseAddress!, tokens: rows.count, columns: columns, backend: .reference)
            let b = fast.quantize(x.baseAddress!, tokens: rows.count, columns: columns, backend: backend)
            for t in 0..<rows.count {
                for c in 0..<columns { #expect(a.values(token: t)[c] == b.values(token: t)[c], "t \(t) c \(c)") }
                for blk in 0..<(columns / format.blockSize) {
                    #expect(a.scale(token: t, block: blk).bitPattern == b.scale(token: t, block: blk).bitPattern)
                    if format == .q8_0 {
                        #expect(a.scaledSum(token: t, block: blk) == b.scaledSum(token: t, block: blk))
                    }
                }
                for g in 0..<(columns / 32) { #expect(a.sum32(token: t, group: g) == b.sum32(token: t, group: g)) }
                if format == .q8_K {
                    for g in 0..<(columns / 16) { #expect(a.sum16(token: t, group: g) == b.sum16(token: t, group: g)) }
                }
            }
        }
    }

    @Test(arguments: ActivationFormat.allCases)
    func reconstructsWithinHalfAStep(format: ActivationFormat) {
        let columns = 768
        let x = randomActivations(count: columns, seed: 7)
        let buffer = ActivationBuffer(format: format)
        x.withUnsafeBufferPointer { input in
            let q = buffer.quantize(input.baseAddress!, tokens: 1, columns: columns, backend: .reference)
            for c in 0..<columns {
                let b = c / format.blockSize
                let d = q.scale(token: 0, block: b)
                let value = q.values(token: 0)[c]
                #expect(abs(Int(value)) <= 127)
                // Q8_0's scale is rounded to binary16, so allow for that rounding too.
                let slack: Float = format == .q8_0 ? abs(d) * 127 * 0x1p-11 : 0
                #expect(abs(Float(value) * d - x[c]) <= abs(d) / 2 * 1.0001 + slack)
            }
            if format == .q8_K {
                // The largest magnitude maps to -127.
                let block = Array(x[0..<256])
                let index = block.indices.max { abs(block[$0]) < abs(block[$1]) }!
                #expect(q.values(token: 0)[index] == -127)
            }
        }
    }

    @Test func bufferGrowsAndKeepsLayout() {
        let buffer = ActivationBuffer(format: .q8_K, tokens: 1, columns: 256)
        let x = randomActivations(count: 3 * 1024, seed: 3)
        x.withUnsafeBufferPointer { input in
            let q = buffer.quantize(input.baseAddress!, tokens: 3, columns: 1024, backend: .reference)
            #expect(buffer.tokenCapacity >= 3 && buffer.columnCapacity >= 1024)
            #expect(q.tokens == 3 && q.columns == 1024)
            #expect(Int(bitPattern: q.values(token: 1)) % 64 == 0)
        }
    }
}
