import Foundation
import Testing
import TandemGGUF
import TandemKernels

/// The kernels on real blocks of the project's models, when they are in the model cache
/// (`$TANDEM_HOME/models` or `~/.cache/tandem/models`): every backend against the scalar
/// reference, and the reference against dequantise-then-float-dot.
@Suite struct RealModelTests {
    static let modelDirectory = (ProcessInfo.processInfo.environment["TANDEM_HOME"]
        ?? NSHomeDirectory() + "/.cache/tandem") + "/models"
    static let models = ["qwen2.5-coder-0.5b-instruct", "qwen2.5-coder-1.5b-instruct", "smollm2-135m-instruct"]
        .filter { FileManager.default.fileExists(atPath: "\(modelDirectory)/\($0).gguf") }

    /// Tensors covering every quantised type in the three models.
    static let tensorNames = ["blk.0.attn_q.weight", "blk.0.attn_v.weight", "blk.1.attn_v.weight",
                              "blk.0.ffn_down.weight", "blk.1.ffn_down.weight", "blk.3.ffn_up.weight",
                              "output.weight", "token_embd.weight"]

    @Test(.enabled(if: !models.isEmpty), arguments: models)
    func kernelsAgreeOnRealWeights(model: String) throws {
        let file = try GGUFFile(path: "\(Self.modelDirectory)/\(model).gguf")
        for name in Self.tensorNames {
            guard let info = file.tensor(named: name), info.type.activationFormat != nil else { continue }
            let data = file.data(for: info)
            let rows = 40, columns = info.rowLength
            // Rows from the middle of the tensor.
            let start = (info.rowCount / 2) * info.bytesPerRow
            let w = try WeightMatrix(type: info.type, rows: rows, columns: columns,
                                     data: data.baseAddress! + start, byteCount: rows * info.bytesPerRow)
            for tokens in [1, 19] {
                let x = randomActivations(count: tokens * columns, seed: UInt64(columns + tokens))
                var reference = [Float](repeating: 0, count: tokens * rows)
                x.withUnsafeBufferPointer { input in
                    reference.withUnsafeMutableBufferPointer { out in
                        MatMul.multiply(w, input: input.baseAddress!, tokens: tokens, output: out.baseAddress!,
                                        workspace: MatMulWorkspace(backend: .reference))
                    }
                    // Reference vs float dot of the dequantised row (activation rounding only).
                    for r in 0..<rows {
                        let wf = dequantized(type: info.type, row: w.row(r), columns: columns)
                        var exact = 0.0, magnitude = 0.0
                        for c in 0..<columns {
                            exact += Double(wf[c]) * Double(x[c])
                            magnitude += abs(Double(wf[c]) * Double(x[c]))
                        }
                        #expect(abs(Double(reference[r]) - exact) <= 0.02 * magnitude + 1e-3,
                                "\(model) \(name) row \(r): \(reference[r]) vs \(exact)")
                    }
                    for backend in KernelBackend.available where backend != .reference {
                        var got = [Float](repeating: .nan, count: tokens * rows)
                        got.withUnsafeMutableBufferPointer { out in
                            MatMul.multiply(w, input: input.baseAddress!, tokens: tokens, output: out.baseAddress!,
                                            workspace: MatMulWorkspace(backend: backend), pool: ThreadPool(threads: 2))
                        }
                        for i in 0..<(tokens * rows) {
                            #expect(abs(got[i] - reference[i]) <= 1e-4 * max(1, abs(reference[i])),
                                    "\(model) \(name) \(backend) [\(i)]: \(got[i]) vs \(reference[i])")
                        }
                    }
                }
            }
        }
    }
}
