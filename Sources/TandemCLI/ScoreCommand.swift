import ArgumentParser
import Foundation
import TandemEngine

/// `tandem score --model MODEL --ids FILE [--top K] [--json]`: next-token distributions
/// after every token of a sequence, in one forward call.
struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Print, for every token of a sequence, the model's top next tokens.",
        discussion: "FILE holds a JSON array of token ids. Output: a JSON array with one entry per input token, {\"top\": [[id, logprob], …]}, the distribution of the token that follows it.")

    @Option(help: "Model name or path to a .gguf file.")
    var model: String

    @Option(help: "JSON file with an array of token ids.")
    var ids: String

    @Option(help: "How many of the most likely next tokens to print.")
    var top = 10

    @Option(help: "Threads for matrix work (default: all cores).")
    var threads: Int?

    @Flag(help: "Print compact JSON (the output is JSON either way).")
    var json = false

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() async throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: ids)) } catch {
            throw ValidationError("cannot read \(ids): \(error.localizedDescription)")
        }
        guard let tokens = try? JSONDecoder().decode([TokenID].self, from: data) else {
            throw ValidationError("\(ids) does not hold a JSON array of token ids")
        }
        guard !tokens.isEmpty else { throw ValidationError("\(ids) holds no token ids") }
        let engine = try Engine(path: try await ensureModel(model), threads: threads)
        let cache = engine.makeCache()
        let output = try engine.forward(tokens, cache: cache, outputs: OutputRequest(rows: .all, distribution: .topK(top)))
        let entries = output.tokens.map { token in
            "{\"top\": [" + token.top.map { "[\($0.id), \($0.logProb)]" }.joined(separator: ", ") + "]}"
        }
        print("[" + entries.joined(separator: json ? ", " : ",\n ") + "]")
    }
}
