import CTandemKernels
import TandemGGUF

/// Reusable scratch for matrix products: the quantised activations (one buffer per
/// format, so a Q8_0 and a K-quant product can share one quantised input) and a float
/// buffer for F16/BF16 weights. Owned by one engine; grows only when a call needs more.
public final class MatMulWorkspace: @unchecked Sendable {
    // @unchecked: buffers are written by one caller (and its pool workers, on disjoint
    // rows, inside ThreadPool.run) and never shared between concurrent callers.
    public let backend: KernelBackend
    /// Token count from which products run the batched kernels (see `MatMul`).
    public let batchThreshold: Int
    let q8_0: ActivationBuffer
    let q8_K: ActivationBuffer
    private(set) var roundedInput: UnsafeMutablePointer<Float>
    private var roundedCapacity: Int
    private var batchScratch: UnsafeMutableRawPointer?
    private var batchScratchBytes = 0

    /// Scratch for up to `tokens × columns` inputs (more is allocated on demand).
    ///
    /// - Parameter batchInvariant: run every product, even of one token, through the
    ///   batched kernels where the backend has them. A token's result then never depends
    ///   on how many other tokens share its call (the row kernels for few tokens and the
    ///   batched kernels for many sum in different orders, which can flip a near-tie).
    ///   Costs single-sequence decode speed; a cloud that verifies drafts wants it.
    public init(backend: KernelBackend = .best, tokens: Int = 1, columns: Int = 256, batchInvariant: Bool = false) {
        precondition(backend.isAvailable, "backend \(backend) does not run on this CPU")
        self.backend = backend
        batchThreshold = batchInvariant ? 1 : MatMul.batchThreshold
        let rounded = (columns + 255) / 256 * 256
        q8_0 = ActivationBuffer(format: .q8_0, tokens: tokens, columns: rounded)
        q8_K = ActivationBuffer(format: .q8_K, tokens: tokens, columns: rounded)
        roundedCapacity = max(1, tokens * columns)
        roundedInput = .allocate(capacity: roundedCapacity)
    }

    deinit {
        roundedInput.deallocate()
        batchScratch?.deallocate()
    }

    /// Scratch for the batched kernels: `participants` regions of `bytesEach`.
    func batchScratch(participants: Int, bytesEach: Int) -> UnsafeMutableRawPointer {
        let needed = participants * bytesEach
        if needed > batchScratchBytes {
            batchScratch?.deallocate()
            batchScratch = .allocate(byteCount: needed, alignment: 64)
            batchScratchBytes = needed
        }
        return batchScratch!
    }

    /// The buffer for `format`.
    public func buffer(for format: ActivationFormat) -> ActivationBuffer {
        format == .q8_0 ? q8_0 : q8_K
    }

    /// Quantises `tokens` input rows for products with `type` weights (see `ActivationBuffer.quantize`).
    public func quantize(
        _ input: UnsafePointer<Float>, tokens: Int, columns: Int, inputStride: Int? = nil,
        for type: GGMLType, pool: ThreadPool? = nil
    ) -> QuantizedActivations {
        guard let format = type.activationFormat else {
            preconditionFailure("\(type) weights take Float32 activations")
        }
        return buffer(for: format).quantize(input, tokens: tokens, columns: columns, inputStride: inputStride,
                                            backend: backend, pool: pool, batchThreshold: batchThreshold)
    }

    func roundedInput(count: Int) -> UnsafeMutablePointer<Float> {
        if count > roundedCapacity {
            roundedInput.deallocate()
            roundedCapacity = count
            roundedInput = .allocate(capacity: count)
        }
        return roundedInput
    }
}

/// The matrix products of the engine: `Y = X · Wᵀ` for a quantised `rows × columns` weight
/// matrix `W` and `tokens × columns` Float32 input `X`, giving `tokens × rows` output:
/// `Y[t][r] = dot(W[r], X[t])`.
///
/// Like llama.cpp, each input row is quantised to 8 bits once per call (Q8_0-style blocks
/// of 32, or Q8_K-style blocks of 256 for K-quants), then integer dot products run per
/// block. Output rows are split over the pool's threads; each thread runs all tokens of
/// the call through each weight block while it is in cache.
///
/// Two data paths, chosen per call:
/// - fewer than `batchThreshold` tokens (decode): row kernels read each weight block once
///   from its memory map and dot it with up to 4 tokens at a time;
/// - `batchThreshold` or more (prefill, verification): on AVX-512 the input is also
///   interleaved by token, and each thread expands 4-8 weight rows to bytes once and runs
///   every token through them (integer lanes = tokens, see CTandemKernels.h).
///
/// Typical engine use, per layer:
/// ```swift
/// let x = workspace.quantize(normed, tokens: n, columns: d, for: layer.query.type, pool: pool)
/// MatMul.multiply(layer.query, activations: x, output: q, workspace: workspace, pool: pool)
/// MatMul.multiply(layer.key, activations: x, output: k, workspace: workspace, pool: pool)  // same format
/// MatMul.multiply(layer.gate, input: normed2, tokens: n, output: g, workspace: workspace, pool: pool)
/// ```
/// Thread-safety: a workspace and a pool serve one caller at a time.
public enum MatMul {
    /// `output[t * outputStride + r] = dot(W[r], input[t * inputStride ...])`.
    ///
    /// - Parameters:
    ///   - inputStride: floats between input rows (default `weights.columns`).
    ///   - outputStride: floats between output rows (default `weights.rows`), so results
    ///     can land in a slice of a wider buffer.
    ///   - pool: threads to split rows over; nil runs on the caller only.
    /// Allocates nothing once the workspace has grown to the call's size.
    public static func multiply(
        _ weights: WeightMatrix, input: UnsafePointer<Float>, tokens: Int, inputStride: Int? = nil,
        output: UnsafeMutablePointer<Float>, outputStride: Int? = nil,
        workspace: MatMulWorkspace, pool: ThreadPool? = nil
    ) {
        precondition(tokens >= 0, "negative token count")
        if tokens == 0 { return }
        let inStride = inputStride ?? weights.columns
        let outStride = outputStride ?? weights.rows
        switch weights.type {
        case .f32, .f16, .bf16:
            FloatMatMul.multiply(weights, input: input, inputStride: inStride, tokens: tokens,
                                 output: output, outputStride: outStride, workspace: workspace, pool: pool)
        default:
            let activations = workspace.quantize(input, tokens: tokens, columns: weights.columns,
                                                 inputStride: inStride, for: weights.type, pool: pool)
            multiply(weights, activations: activations, output: output, outputStride: outStride,
                     workspace: workspace, pool: pool)
        }
    }

    /// Token count from which the batched (token-interleaved) kernels run.
    public static let batchThreshold = 8

    /// The product with already quantised activations (so several weight matrices that
    /// read the same input, like Q/K/V, quantise it once with `workspace.quantize`).
    /// `activations.format` must be `weights.type.activationFormat`.
    public static func multiply(
        _ weights: WeightMatrix, activations: QuantizedActivations,
        output: UnsafeMutablePointer<Float>, outputStride: Int? = nil,
        workspace: MatMulWorkspace, pool: ThreadPool? = nil
    ) {
        let backend = workspace.backend
        precondition(weights.type.activationFormat == activations.format,
                     "\(weights.type) weights need \(String(describing: weights.type.activationFormat)) activations")
        precondition(activations.columns == weights.columns, "activation width \(activations.columns) ≠ \(weights.columns) columns")
        let outStride = outputStride ?? weights.rows
        let tokens = activations.tokens
        if tokens == 0 { return }
        let threads = pool?.threadCount ?? 1
        var batched: (kernel: CKernels.BatchedKernel, scratch: UnsafeMutableRawPointer, bytesEach: Int)?
        if activations.interleaved != nil, let kernel = CKernels.batchedKernel(for: weights.type, backend: backend) {
            let bytesEach = (Int(tandem_gemm_scratch_bytes(Int64(weights.columns))) + 63) & ~63
            batched = (kernel, workspace.batchScratch(participants: threads, bytesEach: bytesEach), bytesEach)
        }
        let run = { (rows: Range<Int>, participant: Int) in
            if let batched {
                withUnsafePointer(to: activations.interleaved!) { interleaved in
                    batched.kernel(weights.row(rows.lowerBound), Int64(weights.rowBytes), Int64(rows.count), interleaved,
                                   output + rows.lowerBound, Int64(outStride), batched.scratch + participant * batched.bytesEach)
                }
            } else {
                multiplyRows(weights, rows: rows, activations: activations,
                             output: output + rows.lowerBound, outputStride: outStride, backend: backend)
            }
        }
        if let pool, pool.threadCount > 1 {
            pool.parallelFor(count: weights.rows, grain: rowGrain(rows: weights.rows, threads: pool.threadCount), run)
        } else {
            run(0..<weights.rows, 0)
        }
    }

    /// Rows per task: multiples of 16, about four tasks per thread, at least 16 rows.
    static func rowGrain(rows: Int, threads: Int) -> Int {
        let perTask = (rows + threads * 4 - 1) / (threads * 4)
        return min(512, max(16, (perTask + 15) / 16 * 16))
    }

    /// Rows `rows` of the product into `output` (already offset to the first of them).
    static func multiplyRows(
        _ weights: WeightMatrix, rows: Range<Int>, activations: QuantizedActivations,
        output: UnsafeMutablePointer<Float>, outputStride: Int, backend: KernelBackend
    ) {
        if let kernel = CKernels.kernel(for: weights.type, backend: backend) {
            withUnsafePointer(to: activations.raw) { raw in
                kernel(weights.row(rows.lowerBound), Int64(weights.rowBytes), Int64(rows.count),
                       raw, Int64(activations.tokens), output, Int64(outputStride))
            }
            return
        }
        if backend != .reference {
            PortableKernels.multiplyRows(weights, rows: rows, activations: activations,
                                         output: output, outputStride: outputStride)
            return
        }
        for r in rows {
            let row = weights.row(r)
            for t in 0..<activations.tokens {
                output[t * outputStride + (r - rows.lowerBound)] =
                    ReferenceDot.dot(type: weights.type, row: row, activations: activations, token: t)
            }
        }
    }
}

/// The C kernels by type and instruction set.
enum CKernels {
    typealias Kernel = @convention(c) (
        UnsafeRawPointer?, Int64, Int64, UnsafePointer<tandem_activations>?, Int64,
        UnsafeMutablePointer<Float>?, Int64) -> Void

    typealias BatchedKernel = @convention(c) (
        UnsafeRawPointer?, Int64, Int64, UnsafePointer<tandem_interleaved>?,
        UnsafeMutablePointer<Float>?, Int64, UnsafeMutableRawPointer?) -> Void

    static func batchedKernel(for type: GGMLType, backend: KernelBackend) -> BatchedKernel? {
        guard backend == .avx512 else { return nil }
        return switch type {
        case .q4_0: tandem_avx512_gemm_q4_0
        case .q4_1: tandem_avx512_gemm_q4_1
        case .q5_0: tandem_avx512_gemm_q5_0
        case .q5_1: tandem_avx512_gemm_q5_1
        case .q8_0: tandem_avx512_gemm_q8_0
        case .q4_K: tandem_avx512_gemm_q4_K
        case .q5_K: tandem_avx512_gemm_q5_K
        case .q6_K: tandem_avx512_gemm_q6_K
        default: nil
        }
    }

    static func kernel(for type: GGMLType, backend: KernelBackend) -> Kernel? {
        switch backend {
        case .avx512:
            switch type {
            case .q4_0: tandem_avx512_matmul_q4_0
            case .q4_1: tandem_avx512_matmul_q4_1
            case .q5_0: tandem_avx512_matmul_q5_0
            case .q5_1: tandem_avx512_matmul_q5_1
            case .q8_0: tandem_avx512_matmul_q8_0
            case .q4_K: tandem_avx512_matmul_q4_K
            case .q5_K: tandem_avx512_matmul_q5_K
            case .q6_K: tandem_avx512_matmul_q6_K
            default: nil
            }
        case .avx2:
            switch type {
            case .q4_0: tandem_avx2_matmul_q4_0
            case .q4_1: tandem_avx2_matmul_q4_1
            case .q5_0: tandem_avx2_matmul_q5_0
            case .q5_1: tandem_avx2_matmul_q5_1
            case .q8_0: tandem_avx2_matmul_q8_0
            case .q4_K: tandem_avx2_matmul_q4_K
            case .q5_K: tandem_avx2_matmul_q5_K
            case .q6_K: tandem_avx2_matmul_q6_K
            default: nil
            }
        case .portable, .reference:
            nil
        }
    }
}
