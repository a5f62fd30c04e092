import Foundation
import Testing
import TandemGGUF
import TandemKernels

/// Matrix-product throughput per type, shape, token count and thread count.
/// Run with `TANDEM_BENCH=1 swift test -c release --filter KernelBench`. Not a timed
/// assertion: it prints a table. Optional: TANDEM_BENCH_TYPES=q4_K,q6_K,
/// TANDEM_BENCH_BACKEND=portable.
///
/// Weights rotate through copies totalling ≥ 512 MiB so each call reads them from memory,
/// as decode does. Times include quantising the input.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TANDEM_BENCH"] == "1"))
struct KernelBench {
    @Test func matmulThroughput() {
        let env = ProcessInfo.processInfo.environment
        let types: [GGMLType] = env["TANDEM_BENCH_TYPES"].map { list in
            list.split(separator: ",").compactMap { name in GGMLType.allCases.first { $0.name == name.uppercased() || "\($0)" == name } }
        } ?? [.q4_K, .q6_K, .q5_0, .q8_0, .q4_1, .q4_0, .q5_1, .q5_K, .f32]
        let backend = env["TANDEM_BENCH_BACKEND"].flatMap(KernelBackend.init(rawValue:)) ?? .best
        let shapes = [(rows: 896, columns: 4864), (rows: 1536, columns: 8960)]
        print("backend \(backend); GB/s = weight bytes / time; GMAC/s = rows·columns·tokens / time")
        print("type  shape        tokens threads   ms/call    GB/s   GMAC/s")
        for type in types {
            for shape in shapes {
                bench(type: type, rows: shape.rows, columns: shape.columns, backend: backend)
            }
        }
    }

    /// Small decode-sized products, where thread dispatch is a visible share of the time.
    @Test func smallDecodeProducts() {
        print("small products, 1 token: µs/call")
        print("type  shape       1 thread  2 threads")
        for (type, rows, columns) in [(GGMLType.q5_0, 128, 896), (.q5_0, 896, 896), (.q4_K, 256, 1536), (.q4_K, 1536, 1536)] {
            let weights = randomWeights(type: type, rows: rows, columns: columns, seed: 3)
            let input = randomActivations(count: columns, seed: 4)
            let output = UnsafeMutablePointer<Float>.allocate(capacity: rows)
            defer { output.deallocate() }
            let workspace = MatMulWorkspace(tokens: 1, columns: columns)
            var line = String(format: "%-5@ %4dx%-5d", type.name as NSString, rows, columns)
            for threads in [1, 2] {
                let pool = ThreadPool(threads: threads)
                weights.withUnsafeBytes { raw in
                    let w = try! WeightMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!, byteCount: raw.count)
                    input.withUnsafeBufferPointer { x in
                        var best = Double.infinity
                        for _ in 0..<5 {
                            let calls = 2000
                            let t0 = DispatchTime.now().uptimeNanoseconds
                            for _ in 0..<calls {
                                MatMul.multiply(w, input: x.baseAddress!, tokens: 1, output: output, workspace: workspace, pool: pool)
                            }
                            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / Double(calls) / 1000)
                        }
                        line += String(format: " %9.2f", best)
                    }
                }
            }
            print(line)
        }
    }

    private func bench(type: GGMLType, rows: Int, columns: Int, backend: KernelBackend) {
        let one = randomWeights(type: type, rows: rows, columns: columns, seed: 1)
        let copies = max(1, (512 << 20) / one.count)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: copies * one.count, alignment: 64)
        defer { storage.deallocate() }
        one.withUnsafeBytes { src in
            for c in 0..<copies { (storage + c * one.count).copyMemory(from: src.baseAddress!, byteCount: one.count) }
        }
        let matrices = (0..<copies).map {
            try! WeightMatrix(type: type, rows: rows, columns: columns, data: storage + $0 * one.count, byteCount: one.count)
        }
        let maxTokens = 128
        let input = randomActivations(count: maxTokens * columns, seed: 2)
        let output = UnsafeMutablePointer<Float>.allocate(capacity: maxTokens * rows)
        defer { output.deallocate() }
        let workspace = MatMulWorkspace(backend: backend, tokens: maxTokens, columns: columns)
        for threads in [1, 2] {
            let pool = ThreadPool(threads: threads)
            for tokens in [1, 16, 128] {
                input.withUnsafeBufferPointer { x in
                    var index = 0
                    func call() {
                        MatMul.multiply(matrices[index % copies], input: x.baseAddress!, tokens: tokens,
                                        output: output, workspace: workspace, pool: pool)
                        index += 1
                    }
                    call()
                    // Calls until 0.4 s have passed (at least 3); report the median of 5 batches.
                    var batchTimes: [Double] = []
                    let start = DispatchTime.now().uptimeNanoseconds
                    var calls = 0
                    while calls < 3 || DispatchTime.now().uptimeNanoseconds - start < 80_000_000 { call(); calls += 1 }
                    for _ in 0..<5 {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        for _ in 0..<calls { call() }
                        batchTimes.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / Double(calls))
                    }
                    let seconds = batchTimes.sorted()[2] * 1e-9
                    let gbps = Double(one.count) / seconds / 1e9
                    let gmacs = Double(rows * columns * tokens) / seconds / 1e9
                    print(String(format: "%-5@ %4dx%-5d %6d %7d %9.3f %7.1f %8.1f",
                                 type.name as NSString, rows, columns, tokens, threads, seconds * 1e3, gbps, gmacs))
                }
            }
        }
    }
}
