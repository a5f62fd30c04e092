import CTandemKernels
import TandemGGUF

/// Products with F32, F16 and BF16 weights. As llama.cpp, F16 (BF16) weights meet an input
/// rounded to F16 (BF16), and the products are summed in Float32.
enum FloatMatMul {
    static func multiply(
        _ weights: WeightMatrix, input: UnsafePointer<Float>, inputStride: Int, tokens: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int,
        workspace: MatMulWorkspace, pool: ThreadPool?
    ) {
        let columns = weights.columns
        var x = input
        var xStride = inputStride
        if weights.type != .f32 {
            let rounded = workspace.roundedInput(count: tokens * columns)
            let toHalf = weights.type == .f16
            for t in 0..<tokens {
                for c in 0..<columns {
                    let v = input[t * inputStride + c]
                    rounded[t * columns + c] = toHalf
                        ? HalfFloat.roundedToHalf(v)
                        : HalfFloat.float(fromBFloat16: HalfFloat.bfloat16(from: v))
                }
            }
            x = UnsafePointer(rounded)
            xStride = columns
        }
        let backend = workspace.backend
        let inputRows = x, rowStride = xStride
        let run = { (rows: Range<Int>) in
            multiplyRows(weights, rows: rows, x: inputRows, xStride: rowStride, tokens: tokens,
                         output: output + rows.lowerBound, outputStride: outputStride, backend: backend)
        }
        if let pool, pool.threadCount > 1 {
            pool.parallelFor(count: weights.rows, grain: MatMul.rowGrain(rows: weights.rows, threads: pool.threadCount), run)
        } else {
            run(0..<weights.rows)
        }
    }

    static func multiplyRows(
        _ weights: WeightMatrix, rows: Range<Int>, x: UnsafePointer<Float>, xStride: Int, tokens: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int, backend: KernelBackend
    ) {
        let columns = weights.columns
        if weights.type == .f32, backend == .avx512 {
            tandem_avx512_matmul_f32(weights.row(rows.lowerBound).assumingMemoryBound(to: Float.self),
                                     Int64(columns), Int64(rows.count), x, Int64(xStride), Int64(tokens),
                                     Int64(columns), output, Int64(outputStride))
            return
        }
        for r in rows {
            let row = weights.row(r)
            for t in 0..<tokens {
                let xt = x + t * xStride
                var sum: Float = 0
                switch weights.type {
                case .f32:
                    let w = row.assumingMemoryBound(to: Float.self)
                    for c in 0..<columns { sum += w[c] * xt[c] }
                case .f16:
                    let w = row.assumingMemoryBound(to: UInt16.self)
                    for c in 0..<columns { sum += HalfFloat.float(fromHalf: w[c]) * xt[c] }
                default:
                    let w = row.assumingMemoryBound(to: UInt16.self)
                    for c in 0..<columns { sum += HalfFloat.float(fromBFloat16: w[c]) * xt[c] }
                }
                output[t * outputStride + (r - rows.lowerBound)] = sum
            }
        }
    }
}
