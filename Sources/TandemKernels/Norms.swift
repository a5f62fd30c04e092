import CTandemKernels
import Foundation

/// Root-mean-square layer normalisation.
public enum RMSNorm {
    /// `y[i] = x[i] / sqrt(mean(x²) + epsilon) * weight[i]` for one row of `count` floats.
    ///
    /// The sum of squares is accumulated in Double and the scale computed in Float, as
    /// llama.cpp's `ggml_compute_forward_rms_norm_f32` followed by its `mul` with the norm
    /// weight. `output` may equal `input` (in place).
    public static func apply(
        _ input: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float,
        output: UnsafeMutablePointer<Float>, count: Int
    ) {
        var sum: Double = 0
        if KernelBackend.best == .avx512 {
            sum = tandem_avx512_sum_squares(input, Int64(count))
        } else {
            for i in 0..<count { sum += Double(input[i] * input[i]) }
        }
        let mean = Float(sum / Double(count))
        let scale = 1 / (mean + epsilon).squareRoot()
        for i in 0..<count { output[i] = (input[i] * scale) * weight[i] }
    }

    /// Normalises `rows` rows of `count` floats (`stride` floats apart) in place.
    public static func apply(
        rows: Int, _ data: UnsafeMutablePointer<Float>, stride: Int, count: Int,
        weight: UnsafePointer<Float>, epsilon: Float
    ) {
        for r in 0..<rows {
            let row = data + r * stride
            apply(UnsafePointer(row), weight: weight, epsilon: epsilon, output: row, count: count)
        }
    }
}
