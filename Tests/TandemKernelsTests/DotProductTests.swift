import Foundation
import Testing
import TandemGGUF
import TandemKernels

/// Every fast matrix product against its scalar reference twin, and the reference against
/// dequantise-then-float-dot, on random realistic blocks.
@Suite struct DotProductTests {
    struct Case: CustomStringConvertible, Sendable {
        let type: GGMLType
        let backend: KernelBackend
        var description: String { "\(type)/\(backend)" }
    }

    static let cases: [Case] = quantizedTypes.flatMap { type in
        KernelBackend.available.filter { $0 != .reference }.map { Case(type: type, backend: $0) }
    }

    /// Widths with an odd number of 32-blocks (tails) or several 256-blocks.
    static func columns(for type: GGMLType) -> [Int] {
        type.blockSize == 32 ? [32, 96, 896] : [256, 1536]
    }

    /// Token counts below and above MatMul.batchThreshold (row kernels and batched kernels),
    /// with partial tiles.
    @Test(arguments: cases)
    func fastKernelMatchesReference(_ c: Case) {
        for (columns, tokens) in Self.columns(for: c.type).flatMap({ cols in [(cols, 7), (cols, 37)] }) {
            let rows = 21
            let weights = randomWeights(type: c.type, rows: rows, columns: columns, seed: UInt64(columns))
            let input = randomActivations(count: tokens * columns, seed: 11)
            let workspace = MatMulWorkspace(backend: c.backend)
            let buffer = workspace.buffer(for: c.type.activationFormat!)
            weights.withUnsafeBytes { raw in
                let w = try! WeightMatrix(type: c.type, rows: rows, columns: columns, data: raw.baseAddress!, byteCount: raw.count)
                input.withUnsafeBufferPointer { x in
                    let acts = buffer.quantize(x.baseAddress!, tokens: tokens, columns: columns, backend: c.backend)
                    var fast = [Float](repeating: .nan, count: tokens * rows)
                    fast.withUnsafeMutableBufferPointer { out in
                        MatMul.multiply(w, activations: acts, output: out.baseAddress!, workspace: workspace)
                    }
                    for r in 0..<rows {
                        let magnitude = zip(dequantized(type: c.type, row: w.row(r), columns: columns), 0..<columns)
                            .reduce(Float(0)) { $0 + abs($1.0) * 128 * abs(acts.scale(token: 0, block: $1.1 / c.type.blockSize)) }
                        for t in 0..<tokens {
                            let expected = ReferenceDot.dot(type: c.type, row: w.row(r), activations: acts, token: t)
                            let got = fast[t * rows + r]
                            #expect(abs(got - expected) <= 2e-5 * max(magnitude, 1e-3),
                                    "\(c) cols \(columns) row \(r) token \(t): \(got) vs \(expected)")
                        }
                    }
                }
            }
        }
    }

    /// The portable Swift kernel computes the reference's expressions, so it matches exactly.
    @Test(arguments: quantizedTypes)
    func portableEqualsReferenceExactly(type: GGMLType) {
        let columns = type.blockSize == 32 ? 352 : 768
        let rows = 9, tokens = 5
        let weights = randomWeights(type: type, rows: rows, columns: columns, seed: 31)
        let input = randomActivations(count: tokens * columns, seed: 32)
        weights.withUnsafeBytes { raw in
            let w = try! WeightMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!, byteCount: raw.count)
            var outputs: [[Float]] = []
            for backend in [KernelBackend.reference, .portable] {
                var y = [Float](repeating: .nan, count: tokens * rows)
                input.withUnsafeBufferPointer { x in
                    y.withUnsafeMutableBufferPointer { out in
                        MatMul.multiply(w, input: x.baseAddress!, tokens: tokens, output: out.baseAddress!,
                                        workspace: MatMulWorkspace(backend: backend))
                    }
                }
                outputs.append(y)
            }
            #expect(outputs[0].map(\.bitPattern) == outputs[1].map(\.bitPattern))
        }
    }

    @Test(arguments: quantizedTypes)
    func referenceMatchesDequantizedFloatDot(type: GGMLType) {
        let columns = type.blockSize == 32 ? 896 : 1536
        let rows = 8
        let weights = randomWeights(type: type, rows: rows, columns: columns, seed: 5)
        let x = randomActivations(count: columns, seed: 6)
        let buffer = ActivationBuffer(format: type.activationFormat!)
        weights.withUnsafeBytes { raw in
            let w = try! WeightMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!, byteCount: raw.count)
            x.withUnsafeBufferPointer { input in
                let acts = buffer.quantize(input.baseAddress!, tokens: 1, columns: columns, backend: .reference)
                for r in 0..<rows {
                    let wf = dequantized(type: type, row: w.row(r), columns: columns)
                    var exact = 0.0, bound = 0.0
                    for i in 0..<columns {
                        exact += Double(wf[i]) * Double(x[i])
                        let d = Double(abs(acts.scale(token: 0, block: i / type.blockSize)))
                        // Half a quantisation step per element, plus binary16 rounding of Q8_0's scale.
                        bound += Double(abs(wf[i])) * (d / 2 + (type.blockSize == 32 ? d * 127 / 2048 : 0))
                    }
                    let got = Double(ReferenceDot.dot(type: type, row: w.row(r), activations: acts, token: 0))
                    // Q4_1/Q5_1 also round Q8_1's scaled sum to binary16: |m| · |s| · 2^-11 per block.
                    var slack = 0.0
                    if type == .q4_1 || type == .q5_1 {
                        for b in 0..<(columns / 32) {
                            let m = HalfFloat.float(fromHalf: w.row(r).loadUnaligned(fromByteOffset: b * type.bytesPerBlock + 2, as: UInt16.self))
                            slack += Double(abs(m)) * Double(abs(acts.scaledSum(token: 0, block: b))) / 2048 * 1.01
                        }
                    }
                    #expect(abs(got - exact) <= bound * 1.01 + slack + 1e-4, "\(type) row \(r): \(got) vs \(exact)")
                }
            }
        }
    }
}
