import Testing
import TandemGGUF
import TandemKernels

@Suite struct MatMulTests {
    /// The full entry point (quantise + multiply, strided input and output, threads) equals
    /// the reference backend within float reordering.
    @Test(arguments: quantizedTypes + [.f32, .f16, .bf16], [1, 2])
    func multiplyMatchesReference(type: GGMLType, threads: Int) {
        let columns = type.blockSize == 256 ? 512 : 160
        let rows = 70, tokens = 9
        let inputStride = columns + 3, outputStride = rows + 5
        let weights = randomWeights(type: type, rows: rows, columns: columns, seed: 21)
        let input = randomActivations(count: tokens * inputStride, seed: 22)
        let pool = ThreadPool(threads: threads)
        let reference = MatMulWorkspace(backend: .reference)
        let fast = MatMulWorkspace()
        weights.withUnsafeBytes { raw in
            let w = try! WeightMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!, byteCount: raw.count)
            var expected = [Float](repeating: -1, count: tokens * outputStride)
            var got = [Float](repeating: -1, count: tokens * outputStride)
            input.withUnsafeBufferPointer { x in
                expected.withUnsafeMutableBufferPointer { out in
                    MatMul.multiply(w, input: x.baseAddress!, tokens: tokens, inputStride: inputStride,
                                    output: out.baseAddress!, outputStride: outputStride, workspace: reference)
                }
                got.withUnsafeMutableBufferPointer { out in
                    MatMul.multiply(w, input: x.baseAddress!, tokens: tokens, inputStride: inputStride,
                                    output: out.baseAddress!, outputStride: outputStride, workspace: fast, pool: pool)
                }
            }
            for t in 0..<tokens {
                for r in 0..<outputStride {
                    let e = expected[t * outputStride + r], g = got[t * outputStride + r]
                    if r >= rows {
                        #expect(e == -1 && g == -1, "padding written at t \(t) r \(r)")
                    } else {
                        #expect(abs(e - g) <= 1e-4 * max(1, abs(e)), "\(type) t \(t) r \(r): \(g) vs \(e)")
                    }
                }
            }
        }
    }

    /// A batch-invariant workspace gives each token bit-identical results whether it shares
    /// its call with 0-8 others (few-token kernels: rows in the vector lanes) or with 19
    /// (batched kernels: tokens in the lanes); rows 64-69 make a partial group of 16.
    @Test(arguments: quantizedTypes, [1, 2])
    func batchInvariantProductsAreBitIdenticalForAnyTokenCount(type: GGMLType, threads: Int) {
        let columns = type.blockSize == 256 ? 512 : 160
        let rows = 70, many = 20
        let weights = randomWeights(type: type, rows: rows, columns: columns, seed: 31)
        let input = randomActivations(count: many * columns, seed: 32)
        let pool = ThreadPool(threads: threads)
        let workspace = MatMulWorkspace(batchInvariant: true)
        weights.withUnsafeBytes { raw in
            let w = try! WeightMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!, byteCount: raw.count)
            func product(tokens: Int) -> [Float] {
                var out = [Float](repeating: .nan, count: tokens * rows)
                input.withUnsafeBufferPointer { x in
                    out.withUnsafeMutableBufferPointer { y in
                        MatMul.multiply(w, input: x.baseAddress!, tokens: tokens, output: y.baseAddress!,
                                        workspace: workspace, pool: pool)
                    }
                }
                return out
            }
            let all = product(tokens: many)
            for tokens in 1...9 {
                let few = product(tokens: tokens)
                let differing = (0..<tokens * rows).filter { few[$0].bitPattern != all[$0].bitPattern }
                #expect(differing.isEmpty, "\(type), \(tokens) tokens: \(differing.count) results differ, first at \(differing.first ?? -1)")
            }
        }
    }

    /// The AVX2 kernels unpack a row's blocks once for up to four tokens; each token's sum
    /// still runs the same operations in the same order, so a token's result is
    /// bit-identical whether it is multiplied alone or with 1-8 others.
    @Test(arguments: quantizedTypes)
    func avx2ProductsDoNotDependOnTheTokensBeside(type: GGMLType) throws {
        try #require(KernelBackend.avx2.isAvailable)
        let columns = type.blockSize == 256 ? 512 : 160
        let rows = 37, tokens = 9
        let weights = randomWeights(type: type, rows: rows, columns: columns, seed: 41)
        let input = randomActivations(count: tokens * columns, seed: 42)
        let workspace = MatMulWorkspace(backend: .avx2)
        try weights.withUnsafeBytes { raw in
            let w = try WeightMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!, byteCount: raw.count)
            func product(first: Int, count: Int) -> [Float] {
                var out = [Float](repeating: .nan, count: count * rows)
                input.withUnsafeBufferPointer { x in
                    out.withUnsafeMutableBufferPointer { y in
                        MatMul.multiply(w, input: x.baseAddress! + first * columns, tokens: count, output: y.baseAddress!, workspace: workspace)
                    }
                }
                return out
            }
            let alone = (0..<tokens).flatMap { product(first: $0, count: 1) }
            for count in 2...tokens {
                let together = product(first: 0, count: count)
                let differing = (0..<count * rows).filter { together[$0].bitPattern != alone[$0].bitPattern }
                #expect(differing.isEmpty, "\(type), \(count) tokens: \(differing.count) results differ")
            }
        }
    }

    @Test func floatWeightsAgreeWithPlainDot() {
        let columns = 37, rows = 5, tokens = 3
        let w = randomActivations(count: rows * columns, seed: 1)
        let x = randomActivations(count: tokens * columns, seed: 2)
        let workspace = MatMulWorkspace()
        var y = [Float](repeating: 0, count: tokens * rows)
        w.withUnsafeBytes { raw in
            let matrix = try! WeightMatrix(type: .f32, rows: rows, columns: columns, data: raw.baseAddress!, byteCount: raw.count)
            x.withUnsafeBufferPointer { input in
                y.withUnsafeMutableBufferPointer { out in
                    MatMul.multiply(matrix, input: input.baseAddress!, tokens: tokens, output: out.baseAddress!, workspace: workspace)
                }
            }
        }
        for t in 0..<tokens {
            for r in 0..<rows {
                var s: Double = 0
                for c in 0..<columns { s += Double(w[r * columns + c]) * Double(x[t * columns + c]) }
                #expect(abs(Double(y[t * rows + r]) - s) < 1e-4)
            }
        }
    }

    @Test func weightMatrixValidates() {
        let bytes = [UInt8](repeating: 0, count: 100)
        bytes.withUnsafeBytes { raw in
            #expect(throws: KernelError.columnsNotMultipleOfBlock(type: .q4_K, columns: 100)) {
                try WeightMatrix(type: .q4_K, rows: 1, columns: 100, data: raw.baseAddress!, byteCount: raw.count)
            }
            #expect(throws: KernelError.bufferTooSmall(needed: 144, available: 100)) {
                try WeightMatrix(type: .q4_K, rows: 1, columns: 256, data: raw.baseAddress!, byteCount: raw.count)
            }
            #expect(throws: KernelError.unsupportedType(.iq2_XS)) {
                try WeightMatrix(type: .iq2_XS, rows: 1, columns: 256, data: raw.baseAddress!, byteCount: raw.count)
            }
        }
    }
}
