import Foundation
import TandemEngine

/// Runs an external llama.cpp `llama-bench` on the same model and threads, for ratios
/// measured in the same run. llama.cpp is not part of Tandem; the user points at a binary.
struct LlamaBench {
    let executable: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Tokens/s for decode (`-n 64`), pp16 and pp128 (`-p 16,128`), 3 repetitions.
    func run(model: String, threads: Int) throws -> [EngineBenchmark.Figure: Double] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-m", model, "-t", String(threads), "-p", "16,128", "-n", "64", "-r", "3", "-o", "json"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw Failure(description: "cannot start \(executable): \(error.localizedDescription)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(executable) exited with status \(process.terminationStatus)")
        }
        struct Entry: Decodable {
            let n_prompt: Int
            let n_gen: Int
            let avg_ts: Double
        }
        guard let entries = try? JSONDecoder().decode([Entry].self, from: data) else {
            throw Failure(description: "\(executable) printed no llama-bench JSON")
        }
        var figures: [EngineBenchmark.Figure: Double] = [:]
        for entry in entries {
            switch (entry.n_prompt, entry.n_gen) {
            case (16, 0): figures[.pp16] = entry.avg_ts
            case (128, 0): figures[.pp128] = entry.avg_ts
            case (0, 64): figures[.decode] = entry.avg_ts
            default: break
            }
        }
        return figures
    }
}
