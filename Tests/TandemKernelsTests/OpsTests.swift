import Foundation
import Testing
import TandemKernels

@Suite struct OpsTests {
    @Test func rmsNorm() {
        let x: [Float] = [1, -2, 3, -4]
        let weight: [Float] = [1, 0.5, 2, 1]
        var y = [Float](repeating: 0, count: 4)
        RMSNorm.apply(x, weight: weight, epsilon: 1e-6, output: &y, count: 4)
        let scale = 1 / (Float(30.0 / 4) + 1e-6).squareRoot()
        for i in 0..<4 { #expect(abs(y[i] - x[i] * scale * weight[i]) < 1e-6) }
        // In place over rows.
        var rows = x + x
        rows.withUnsafeMutableBufferPointer { RMSNorm.apply(rows: 2, $0.baseAddress!, stride: 4, count: 4, weight: weight, epsilon: 1e-6) }
        #expect(Array(rows[4..<8]) == y)
    }

    /// Both pairings against the textbook rotation with θ_i = p · base^(−2i/d).
    @Test(arguments: [RopeStyle.normal, .neox])
    func ropeRotatesPairs(style: RopeStyle) {
        let headDim = 64, heads = 3, position = 17
        let base: Float = 1_000_000
        let original = randomActivations(count: heads * headDim, seed: 4)
        var x = original
        Rope(headDim: headDim, base: base, style: style).apply(&x, heads: heads, position: position)
        for h in 0..<heads {
            for i in 0..<(headDim / 2) {
                let theta = Double(position) * pow(Double(base), -2 * Double(i) / Double(headDim))
                let (a, b) = style == .normal ? (2 * i, 2 * i + 1) : (i, i + headDim / 2)
                let x0 = Double(original[h * headDim + a]), x1 = Double(original[h * headDim + b])
                #expect(abs(Double(x[h * headDim + a]) - (x0 * cos(theta) - x1 * sin(theta))) < 1e-4)
                #expect(abs(Double(x[h * headDim + b]) - (x0 * sin(theta) + x1 * cos(theta))) < 1e-4)
            }
        }
    }

    @Test func ropeAtPositionZeroAndPartialDims() {
        let original = randomActivations(count: 16, seed: 9)
        var x = original
        Rope(headDim: 16, base: 10000, style: .neox).apply(&x, heads: 1, position: 0)
        #expect(x == original)
        var y = original
        Rope(headDim: 16, rotaryDims: 8, base: 10000, style: .normal).apply(&y, heads: 1, position: 5)
        #expect(Array(y[8...]) == Array(original[8...]))
        #expect(Array(y[..<8]) != Array(original[..<8]))
    }

    @Test func softmaxIsStableAndNormalised() {
        var x: [Float] = [1000, 1001, 1002, -.infinity]
        VectorOps.softmax(&x, count: 4)
        let e = [exp(-2.0), exp(-1.0), 1.0]
        let total = e.reduce(0, +)
        for i in 0..<3 { #expect(abs(Double(x[i]) - e[i] / total) < 1e-6) }
        #expect(x[3] == 0)
        #expect(abs(x.reduce(0, +) - 1) < 1e-6)
    }

    @Test func siluAndSwiglu() {
        var x: [Float] = [-2, 0, 3]
        VectorOps.silu(&x, count: 3)
        for (got, v) in zip(x, [-2.0, 0, 3]) { #expect(abs(Double(got) - v / (1 + exp(-v))) < 1e-6) }
        var gate: [Float] = [-2, 0, 3]
        let up: [Float] = [2, 5, -1]
        VectorOps.swiglu(gate: &gate, up: up, count: 3)
        for i in 0..<3 { #expect(abs(gate[i] - x[i] * up[i]) < 1e-6) }
    }

    /// The C float kernels against plain loops, across lengths with tails.
    @Test(arguments: [1, 15, 16, 33, 64, 128, 1000])
    func floatDotAndAxpy(count: Int) {
        let a = randomActivations(count: count, seed: 1), b = randomActivations(count: count, seed: 2)
        var exact = 0.0
        for i in 0..<count { exact += Double(a[i]) * Double(b[i]) }
        let magnitude = zip(a, b).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        #expect(abs(Double(VectorOps.dot(a, b, count: count)) - exact) <= 1e-5 * magnitude + 1e-6)
        #expect(abs(Double(VectorOps.portableDot(a, b, count: count)) - exact) <= 1e-5 * magnitude + 1e-6)
        var y = b
        VectorOps.addScaled(a, by: 0.5, to: &y, count: count)
        for i in 0..<count { #expect(y[i] == b[i] + 0.5 * a[i] || abs(y[i] - (b[i] + 0.5 * a[i])) <= 1e-6 * abs(y[i])) }
    }

    /// The vectorised exp-based ops against the Swift loops with `expf`.
    @Test(arguments: [1, 7, 16, 17, 100, 4864])
    func vectorisedActivationsMatchPortable(count: Int) {
        let gate = randomActivations(count: count, seed: 5).map { $0 * 4 }
        let up = randomActivations(count: count, seed: 6)
        var fast = gate, slow = gate
        VectorOps.swiglu(gate: &fast, up: up, count: count)
        VectorOps.portableSwiglu(gate: &slow, up: up, count: count)
        for i in 0..<count { #expect(abs(fast[i] - slow[i]) <= 4e-6 * max(abs(slow[i]), 1e-6), "swiglu \(i)") }
        var scores = gate, reference = gate
        if count > 1 { scores[0] = -.infinity; reference[0] = -.infinity }  // a masked position
        VectorOps.softmax(&scores, count: count)
        VectorOps.portableSoftmax(&reference, count: count)
        if count > 1 { #expect(scores[0] == 0) }
        for i in 0..<count { #expect(abs(scores[i] - reference[i]) <= 2e-6 * max(reference[i], 1e-30), "softmax \(i)") }
    }

    @Test func vectorOps() {
        var y: [Float] = [1, 2, 3]
        VectorOps.add([1, 1, 1], to: &y, count: 3)
        #expect(y == [2, 3, 4])
        VectorOps.scale(&y, by: 0.5, count: 3)
        #expect(y == [1, 1.5, 2])
        VectorOps.addScaled([2, 2, 2], by: 0.25, to: &y, count: 3)
        #expect(y == [1.5, 2, 2.5])
        #expect(VectorOps.dot([1, 2, 3, 4, 5], [1, 1, 1, 1, 2], count: 5) == 20)
        var rows: [Float] = [0, 0, 9, 1, 1, 9]
        VectorOps.addBias([1, 2], to: &rows, rows: 2, stride: 3, count: 2)
        #expect(rows == [1, 2, 9, 2, 3, 9])
    }
}
