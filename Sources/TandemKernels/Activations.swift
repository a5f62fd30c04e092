import CTandemKernels
import Foundation

/// Element-wise activations, softmax and small vector operations used by the engine.
///
/// On AVX-512 / AVX2 CPUs the exponential-based ones run vectorised C code (a Cephes-style
/// exp within 1 ulp of `expf`, as llama.cpp vectorises them); elsewhere, and in the
/// `portable…` twins the tests compare against, plain Swift loops with `expf`.
public enum VectorOps {
    /// Numerically stable softmax of `count` floats in place: exp(x − max) / Σ, the sum in
    /// Double as ggml's `ggml_vec_soft_max_f32`. Entries of −∞ become 0 (masking).
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch KernelBackend.best {
        case .avx512: tandem_avx512_softmax(x, Int64(count))
        case .avx2: tandem_avx2_softmax(x, Int64(count))
        default: portableSoftmax(x, count: count)
        }
    }

    /// The Swift softmax.
    public static func portableSoftmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var maximum = -Float.infinity
        for i in 0..<count { maximum = max(maximum, x[i]) }
        var sum: Double = 0
        for i in 0..<count {
            let e = expf(x[i] - maximum)
            x[i] = e
            sum += Double(e)
        }
        let inverse = Float(1 / sum)
        for i in 0..<count { x[i] *= inverse }
    }

    /// SiLU (swish): x · σ(x) = x / (1 + e^(−x)), in place.
    public static func silu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch KernelBackend.best {
        case .avx512: tandem_avx512_swiglu(x, nil, Int64(count))
        case .avx2: tandem_avx2_swiglu(x, nil, Int64(count))
        default: for i in 0..<count { x[i] = x[i] / (1 + expf(-x[i])) }
        }
    }

    /// SwiGLU: `gate[i] = silu(gate[i]) * up[i]` (the LLaMA feed-forward gate), in place in `gate`.
    public static func swiglu(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        switch KernelBackend.best {
        case .avx512: tandem_avx512_swiglu(gate, up, Int64(count))
        case .avx2: tandem_avx2_swiglu(gate, up, Int64(count))
        default: portableSwiglu(gate: gate, up: up, count: count)
        }
    }

    /// The Swift SwiGLU.
    public static func portableSwiglu(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// `y[i] += x[i]` (residual connections, biases).
    public static func add(_ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += x[i] }
    }

    /// Adds the `count`-float `bias` to each of `rows` rows `stride` floats apart.
    public static func addBias(_ bias: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, rows: Int, stride: Int, count: Int) {
        for r in 0..<rows { add(bias, to: y + r * stride, count: count) }
    }

    /// `x[i] *= factor`.
    public static func scale(_ x: UnsafeMutablePointer<Float>, by factor: Float, count: Int) {
        for i in 0..<count { x[i] *= factor }
    }

    /// `y[i] += factor * x[i]` (weighted sums of value vectors in attention). Uses the
    /// AVX-512 or AVX2 C kernel when the CPU has it.
    public static func addScaled(_ x: UnsafePointer<Float>, by factor: Float, to y: UnsafeMutablePointer<Float>, count: Int) {
        switch KernelBackend.best {
        case .avx512: tandem_avx512_add_scaled_f32(x, factor, y, Int64(count))
        case .avx2: tandem_avx2_add_scaled_f32(x, factor, y, Int64(count))
        default: for i in 0..<count { y[i] += factor * x[i] }
        }
    }

    /// Σ a[i]·b[i] in Float32 (attention scores). Uses the AVX-512 or AVX2 C kernel when
    /// the CPU has it; the sum order (and so the last bits) depends on the backend.
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        switch KernelBackend.best {
        case .avx512: return tandem_avx512_dot_f32(a, b, Int64(count))
        case .avx2: return tandem_avx2_dot_f32(a, b, Int64(count))
        default: return portableDot(a, b, count: count)
        }
    }

    /// The Swift dot product (four partial sums).
    public static func portableDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        // Four partial sums let the compiler keep several vector accumulators.
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var i = 0
        while i + 4 <= count {
            s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1]
            s2 += a[i + 2] * b[i + 2]; s3 += a[i + 3] * b[i + 3]
            i += 4
        }
        while i < count { s0 += a[i] * b[i]; i += 1 }
        return (s0 + s1) + (s2 + s3)
    }
}
