import Foundation

/// How rotary position embedding pairs the dimensions of a head.
public enum RopeStyle: Sendable, Equatable {
    /// Adjacent pairs (2i, 2i + 1): llama.cpp's `LLAMA_ROPE_TYPE_NORM` (llama architecture).
    case normal
    /// Halves (i, i + dims/2): llama.cpp's `LLAMA_ROPE_TYPE_NEOX` (qwen2 architecture).
    case neox
}

/// Rotary position embedding (RoPE, Su et al. 2021) as llama.cpp computes it.
///
/// Pair i of a head at position p is rotated by θᵢ = p · base^(−2i/dims). As in ggml's
/// `ggml_rope_cache_init`, θ is built by repeated Float multiplication
/// (θ₀ = p, θᵢ₊₁ = θᵢ · base^(−2/dims)) and rotated with `cosf`/`sinf`, so angles match
/// llama.cpp's bit for bit. Dimensions past `rotaryDims` are left as they are.
public struct Rope: Sendable {
    public let headDim: Int
    public let rotaryDims: Int
    public let base: Float
    public let style: RopeStyle
    @usableFromInline let thetaScale: Float

    /// - Parameters:
    ///   - headDim: floats per head.
    ///   - rotaryDims: leading dimensions rotated (even, ≤ headDim; default all).
    ///   - base: the frequency base (`rope.freq_base` in GGUF metadata, e.g. 10000 or 1e6).
    public init(headDim: Int, rotaryDims: Int? = nil, base: Float, style: RopeStyle) {
        let dims = rotaryDims ?? headDim
        precondition(dims % 2 == 0 && dims <= headDim && dims > 0, "rotary dims must be even and ≤ head dim")
        self.headDim = headDim
        self.rotaryDims = dims
        self.base = base
        self.style = style
        thetaScale = powf(base, -2 / Float(dims))
    }

    /// Rotates `heads` heads of `headDim` floats (contiguous) for one token at `position`.
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, position: Int) {
        var theta = Float(position)
        let half = rotaryDims / 2
        for i in 0..<half {
            let cosTheta = cosf(theta), sinTheta = sinf(theta)
            let (first, second) = style == .normal ? (2 * i, 2 * i + 1) : (i, i + half)
            for h in 0..<heads {
                let head = x + h * headDim
                let x0 = head[first], x1 = head[second]
                head[first] = x0 * cosTheta - x1 * sinTheta
                head[second] = x0 * sinTheta + x1 * cosTheta
            }
            theta *= thetaScale
        }
    }
}
