import ArgumentParser
import Foundation
import TandemEngine

/// `tandem bench …`: throughput measurements.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput.",
        subcommands: [EngineBenchCommand.self, ServeBenchCommand.self, EarlyExitBenchCommand.self]
    )
}

/// `tandem bench engine --model MODEL [--threads N] [--json] [--llama-bench PATH]`.
struct EngineBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Engine tokens/s: decode, 16- and 128-token prompts, batched verification; peak memory.",
        discussion: """
        Each figure is the best of --repetitions runs after a warm-up. verify_tok_s: \
        --verify-sequences sequences (8), each with a 512-token cached context, verifying a \
        --verify-chunk token draft chunk (8) each in one call. --batch-invariant measures the \
        cloud's kernels: decode is then the cost of a one-token verification. \
        With --llama-bench PATH, llama.cpp's llama-bench runs on the same file and threads right \
        after, and the table gains the ratios (machines are noisy: compare within one run).
        """)

    @Option(help: "Model name or path to a .gguf file.")
    var model: String

    @Option(help: "Threads for matrix work (default: all cores).")
    var threads: Int?

    @Option(help: "Timed runs per figure (the best counts).")
    var repetitions = 3

    @Option(help: "Path to llama.cpp's llama-bench, run on the same model for ratios.")
    var llamaBench: String?

    @Flag(help: "Print one JSON object (decode_tok_s, pp16_tok_s, pp128_tok_s, verify_tok_s, peak_rss_mb).")
    var json = false

    @Flag(help: "Run the engine batch-invariant, as `tandem serve` does (every product through the batched kernels).")
    var batchInvariant = false

    @Option(help: "Sequences in the verify figure's call.")
    var verifySequences = 8

    @Option(help: "Draft tokens per sequence in the verify figure.")
    var verifyChunk = 8

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
        guard verifySequences >= 1, verifyChunk >= 1 else {
            throw ValidationError("--verify-sequences and --verify-chunk must be at least 1")
        }
        if let llamaBench, !FileManager.default.isExecutableFile(atPath: llamaBench) {
            throw ValidationError("--llama-bench \(llamaBench) is not an executable file")
        }
    }

    func run() async throws {
        let path = try await ensureModel(model)
        let engine = try Engine(path: path, threads: threads, batchInvariant: batchInvariant)
        var benchmark = EngineBenchmark(engine: engine, repetitions: repetitions)
        benchmark.verifySequences = verifySequences
        benchmark.verifyChunk = verifyChunk
        let figures = EngineBenchmark.Figure.allCases.count
        let bar = ProgressBar(label: "bench \(engine.configuration.architecture.rawValue)", total: Int64(figures * repetitions), unit: .items)
        let result = try benchmark.run { figure, done, total in
            let index = EngineBenchmark.Figure.allCases.firstIndex(of: figure)!
            bar.update(completed: Int64(index * total + done))
        }
        bar.finish()
        var reference: [EngineBenchmark.Figure: Double] = [:]
        if let llamaBench {
            printError("running llama-bench (\(engine.threadCount) threads)…")
            reference = try LlamaBench(executable: llamaBench).run(model: path, threads: engine.threadCount)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        let modelName = URL(fileURLWithPath: path).lastPathComponent
        let mode = batchInvariant ? ", batch-invariant" : ""
        print("\(modelName), \(engine.threadCount) threads\(mode), best of \(repetitions); " +
              "verify: \(verifySequences) × \(verifyChunk) tokens")
        let header = reference.isEmpty ? ["figure", "tokens/s"] : ["figure", "tokens/s", "llama.cpp", "ratio"]
        var rows: [[String]] = []
        for figure in [EngineBenchmark.Figure.decode, .pp16, .pp128, .verify] {
            let ours = result.tokensPerSecond(figure)
            var row = [figure.rawValue, String(format: "%.1f", ours)]
            if !reference.isEmpty {
                if let theirs = reference[figure] {
                    row += [String(format: "%.1f", theirs), String(format: "%.2f×", ours / theirs)]
                } else {
                    row += ["–", "–"]
                }
            }
            rows.append(row)
        }
        let blank = reference.isEmpty ? [String]() : ["", ""]
        rows.append(["peak RSS", String(format: "%.0f MiB", result.peakRSSMegabytes)] + blank)
        let fileMiB = Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) / (1024 * 1024)
        rows.append(["  model file", String(format: "%.0f MiB", fileMiB)] + blank)
        rows.append(["  KV caches", String(format: "%.0f MiB", result.kvCacheMegabytes)] + blank)
        rows.append(["  overhead", String(format: "%.1f%%", 100 * (result.peakRSSMegabytes / (fileMiB + result.kvCacheMegabytes) - 1))] + blank)
        print(renderTable(header: header, rows: rows))
    }
}

/// Left-aligned first column, right-aligned others, columns padded to their widest cell.
func renderTable(header: [String], rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { column, cell in
            let pad = String(repeating: " ", count: widths[column] - cell.count)
            return column == 0 ? cell + pad : pad + cell
        }.joined(separator: "  ")
    }
    let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
    return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
}
