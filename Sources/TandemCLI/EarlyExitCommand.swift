import ArgumentParser
import Foundation
import TandemCollaboration
import TandemEngine
import TandemTokenizer

/// `tandem bench early-exit`: does early exit pay for drafting on this device model?
struct EarlyExitBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "early-exit",
        abstract: "Measure early exit for drafting: exit rate, agreement, cloud acceptance and compute per exit layer and confidence.",
        discussion: """
        The device writes greedy answers to the prompts; both models then score them. At each \
        --layers block the output norm and head give an exit prediction; where its probability \
        reaches a --confidences value the device would take it and skip the remaining blocks. \
        relative compute counts multiply-adds per drafted token (exit head included) against \
        the full model; it is a lower bound on the real cost, since the skipped blocks' KV \
        entries would still have to be filled.
        """)

    @OptionGroup var inputs: ProfileInputs

    @Option(help: "Blocks (0-based) to exit after, comma-separated (default: at 1/2, 2/3 and 5/6 of the model).")
    var layers: String?

    @Option(help: "Exit confidences, comma-separated.")
    var confidences = "0.8,0.9,0.95,0.99"

    @Flag(help: "Print the rows as JSON.")
    var json = false

    func validate() throws {
        try inputs.check()
        guard inputs.dataset != nil else { throw ValidationError("--dataset is required (a JSONL file or arithmetic)") }
        guard !parsedConfidences.isEmpty, parsedConfidences.allSatisfy({ $0 > 0 && $0 <= 1 }) else {
            throw ValidationError("--confidences must be numbers in (0, 1]")
        }
    }

    var parsedConfidences: [Float] { confidences.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        let device = try Engine(path: try await ensureModel(inputs.device), threads: inputs.threads)
        let cloud = try Engine(path: try await ensureModel(inputs.cloud), threads: inputs.threads)
        let count = device.configuration.layerCount
        let exitLayers = try layers.map { list in
            try list.split(separator: ",").map { item -> Int in
                guard let layer = Int(item.trimmingCharacters(in: .whitespaces)), (0..<(count - 1)).contains(layer) else {
                    throw ValidationError("--layers: \(item) is not a block in 0..<\(count - 1)")
                }
                return layer
            }
        } ?? [count / 2 - 1, 2 * count / 3 - 1, 5 * count / 6 - 1]
        var prompts = try inputs.loadPrompts(inputs.dataset!)
        if let limit = inputs.limit { prompts = Array(prompts.prefix(limit)) }
        let tokens = try prompts.map { try device.tokenizer.encode(ChatTemplate.chatML.render($0, addGenerationPrompt: true), parseSpecial: true) }
        let bar = ProgressBar(label: "early-exit", total: Int64(tokens.count), unit: .items)
        let study = try await EarlyExitStudy.collect(device: device, cloud: cloud, prompts: tokens, layers: exitLayers,
                                                     maxTokens: inputs.maxTokens) { bar.update(completed: Int64($0)) }
        bar.finish()
        let rows = study.rows(confidences: parsedConfidences)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            return
        }
        let macs = EarlyExitStudy.multiplyAdds(device.configuration)
        print(String(format: "%d drafted tokens from %d prompts; %@: %d blocks of %.1f M multiply-adds, head %.1f M (= %.1f blocks)",
                     study.tokenCount, tokens.count, inputs.device, count, macs.block / 1e6, macs.head / 1e6, macs.head / macs.block))
        print(renderTable(header: ["exit after block", "confidence", "exits", "= full model", "cloud accepts (exit / none)", "compute vs full"],
                          rows: rows.map {
            [String($0.layer), String(format: "%.2f", $0.confidence), String(format: "%.1f%%", 100 * $0.exitRate),
             String(format: "%.1f%%", 100 * $0.agreesWithFullModel),
             String(format: "%.1f%% / %.1f%%", 100 * $0.acceptanceWithExit, 100 * $0.acceptanceWithout),
             String(format: "%.3f", $0.relativeCompute)]
        }))
    }
}
