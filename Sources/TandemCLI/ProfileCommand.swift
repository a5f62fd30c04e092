import ArgumentParser
import Foundation
import TandemCollaboration
import TandemEngine
import TandemEval
import TandemTokenizer

/// The pair and the prompts a profiling run uses (`tandem profile`, `tandem train-router`).
struct ProfileInputs: ParsableArguments {
    @Option(help: "Device model name or .gguf path.")
    var device = "qwen2.5-coder-0.5b-instruct"

    @Option(help: "Cloud model name or .gguf path.")
    var cloud = "qwen2.5-coder-1.5b-instruct"

    @Option(help: "A JSONL file, or `arithmetic`.")
    var dataset: String?

    @Option(help: "HumanEval split to use: dev (ids 0-81), test (82-163) or all.")
    var split = "dev"

    @Option(help: "Generated arithmetic problems (with --dataset arithmetic).")
    var n = 100

    @Option(help: "Seed of the generated problems.")
    var seed: UInt64 = 1000

    @Option(help: "Use at most this many prompts.")
    var limit: Int?

    @Option(name: .customLong("max-tokens"), help: "Most tokens the device writes per prompt.")
    var maxTokens = 256

    @Option(help: "Threads per model.")
    var threads: Int?

    func check() throws {
        guard ["dev", "test", "all"].contains(split) else { throw ValidationError("--split must be dev, test or all") }
        guard n >= 1, maxTokens >= 1 else { throw ValidationError("--n and --max-tokens must be positive") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if cloud.hasPrefix("http") { throw ValidationError("profiling runs the cloud model locally: give a model name or .gguf path") }
    }

    /// Runs the pair over the prompts (a progress bar per prompt).
    func collect(hiddenStates: Bool) async throws -> PairProfile {
        guard let dataset else { throw ValidationError("--dataset is required") }
        let deviceEngine = try Engine(path: try await ensureModel(device), threads: threads)
        let cloudEngine = try Engine(path: try await ensureModel(cloud), threads: threads)
        var prompts = try loadPrompts(dataset)
        if let limit { prompts = Array(prompts.prefix(limit)) }
        guard !prompts.isEmpty else { throw ValidationError("the dataset holds no prompts for split \(split)") }
        let tokens = try prompts.map {
            try deviceEngine.tokenizer.encode(ChatTemplate.chatML.render($0, addGenerationPrompt: true), parseSpecial: true)
        }
        let bar = ProgressBar(label: "profile", total: Int64(prompts.count), unit: .items)
        let profile = try await PairProfile.collect(device: deviceEngine, cloud: cloudEngine, prompts: tokens, maxTokens: maxTokens,
                                                    hiddenStates: hiddenStates) { bar.update(completed: Int64($0)) }
        bar.finish()
        return profile
    }

    /// The chat messages of each prompt.
    func loadPrompts(_ dataset: String) throws -> [[ChatMessage]] {
        if dataset == "arithmetic" {
            return ArithmeticProblem.generate(count: n, seed: seed).map { [.user($0.prompt)] }
        }
        let text: String
        do { text = try String(contentsOfFile: dataset, encoding: .utf8) } catch {
            throw ValidationError("cannot read \(dataset): \(error.localizedDescription)")
        }
        if text.contains("\"entry_point\"") {
            return try HumanEvalProblem.load(jsonl: dataset).filter { problem in
                guard let number = problem.number else { return split == "all" }
                return split == "all" || (split == "dev" ? number < 82 : number >= 82)
            }.map { [.system("You are a helpful assistant."), .user($0.userMessage)] }
        }
        struct Question: Decodable { let question: String }
        return try text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { line in
            guard let item = try? JSONDecoder().decode(Question.self, from: Data(line.utf8)) else {
                throw ValidationError("\(dataset): a line is neither HumanEval nor {\"question\": …}")
            }
            return [.user(item.question)]
        }
    }
}

/// `tandem profile --device MODEL --cloud MODEL --dataset D --out FILE`: calibrates the
/// offload policy for a device/cloud pair.
struct ProfileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Calibrate the offload policy: run the pair on prompts, write thresholds per budget.",
        discussion: """
        For each prompt the device writes its greedy answer; both models then score that answer \
        in one pass, giving per token the device's confidence and whether the cloud's greedy \
        token agrees. The calibration holds the agreement rate by confidence bucket and, for \
        each budget, the risk threshold whose chunked offloading stays within it. \
        --dataset takes a JSONL file (HumanEval format: task_id, prompt, test, entry_point; or \
        one {"question"} per line) or `arithmetic` (generated problems, --n and --seed). Calibrate \
        on data you will not judge on (HumanEval's dev split, ids 0-81, or another seed). \
        --features also keeps every token's device hidden state, for `tandem train-router`; \
        --from-features FILE recalibrates from such a file without running the models (another \
        --chunk or --budgets).
        """)

    @OptionGroup var inputs: ProfileInputs

    @Option(help: "Chunk size the decoder will use.")
    var chunk = 4

    @Option(help: "Tokens of credit in the budget's bucket: how far one answer may run ahead of its share.")
    var burst = OffloadPolicy.defaultBurst

    @Option(help: "Budgets to calibrate, comma-separated shares of generated tokens.")
    var budgets = "0.05,0.1,0.15,0.25,0.4"

    @Option(help: "Also write the per-token features (confidence, agreement, device hidden state) here, for tandem train-router.")
    var features: String?

    @Option(name: .customLong("from-features"), help: "Calibrate from a features file written by --features instead of running the models.")
    var fromFeatures: String?

    @Option(help: "Where to write the calibration (JSON).")
    var out: String

    func validate() throws {
        try inputs.check()
        guard inputs.dataset != nil || fromFeatures != nil else { throw ValidationError("--dataset (or --from-features) is required") }
        guard fromFeatures == nil || features == nil else { throw ValidationError("--from-features reads a features file; --features writes one: pick one") }
        guard chunk >= 1 else { throw ValidationError("--chunk must be positive") }
        guard burst >= 0 else { throw ValidationError("--burst must not be negative") }
        guard !parsedBudgets.isEmpty, parsedBudgets.allSatisfy({ (0...1).contains($0) }) else {
            throw ValidationError("--budgets must be comma-separated numbers in 0...1")
        }
    }

    var parsedBudgets: [Double] { budgets.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        let profile: PairProfile
        if let fromFeatures { profile = try PairProfile.load(from: fromFeatures) } else { profile = try await inputs.collect(hiddenStates: features != nil) }
        if let features {
            try profile.save(to: features)
            print("wrote \(features) (\(profile.tokenCount) tokens, hidden size \(profile.hiddenSize))")
        }
        let calibration = Calibration.fit(device: inputs.device, cloud: inputs.cloud,
                                          sequences: profile.sequences.map { $0.map { (confidence: $0.confidence, agrees: $0.agrees) } },
                                          chunkSize: chunk, budgets: parsedBudgets, burst: burst)
        try calibration.save(to: out)
        print(String(format: "%d tokens from %d prompts; the cloud agrees with the device on %.1f%%; chunks of %d, %d tokens of budget credit",
                     calibration.tokens, profile.sequences.count, 100 * calibration.agreement, chunk, burst))
        print(renderTable(header: ["budget", "risk threshold", "offloaded", "disagreements caught"], rows: calibration.points.map {
            [String(format: "%.2f", $0.budget), String(format: "%.3f", $0.riskThreshold), String(format: "%.1f%%", 100 * $0.offloadShare),
             String(format: "%.1f%%", 100 * $0.disagreementsCaught)]
        }))
        print("wrote \(out)")
    }
}
