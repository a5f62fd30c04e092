import ArgumentParser
import Foundation
import TandemCollaboration
import TandemEngine
import TandemEval

/// `tandem route …`: query-level routing (seed 3).
struct RouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Query-level routing: train the policy that hands whole queries to the cloud.",
        subcommands: [RouteTrainCommand.self])
}

/// `tandem route train --task arithmetic|humaneval [--budget 0.3] [--group 8] [--steps N] --out FILE`.
struct RouteTrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the query-routing policy with a group-adaptive policy gradient under a cloud budget.",
        discussion: """
        Rollouts: for each training prompt the cloud's greedy answer and --group sampled device \
        answers (temperature --temperature), each judged (correct, wrong but well-formed, \
        malformed) and read at its end (the device's hidden state after a fixed "is your answer \
        correct?" probe, and the answer's confidence statistics). They are kept in \
        FILE.rollouts.jsonl. Each step draws prompts, keeps those the device solved at least once \
        and, capped at budget × that number, those only the cloud solved; draws a hand-off per \
        sample from the policy; rewards 2.0 correct on the device, 0.5 correct through the cloud, \
        0.2 wrong but well-formed, 0 otherwise; and ascends the group-normalised policy gradient \
        (advantage r − mean(r), × G/(G−1)). The trainer's state is saved to FILE.state.json every \
        step block, so --resume continues exactly. Arithmetic trains on --seed (default 1000; \
        evaluate on another seed); HumanEval on the dev split.
        """)

    @Option(help: "Device model name or .gguf path.")
    var device = "qwen2.5-coder-0.5b-instruct"

    @Option(help: "Cloud model name or .gguf path (run in this process for the rollouts).")
    var cloud = "qwen2.5-coder-1.5b-instruct"

    @Option(help: "arithmetic or humaneval.")
    var task = "arithmetic"

    @Option(help: "Training prompts (arithmetic: generated from --seed; humaneval: the first N of the dev split).")
    var n = 64

    @Option(help: "Seed of the generated arithmetic problems.")
    var seed: UInt64 = 1000

    @Option(help: "ρ: largest share of queries handed to the cloud.")
    var budget = 0.3

    @Option(help: "Device samples per prompt (G).")
    var group = 8

    @Option(help: "Policy-gradient steps.")
    var steps = 300

    @Option(name: .customLong("prompts-per-step"), help: "Prompts drawn per step (before filtering).")
    var promptsPerStep = 16

    @Option(name: .customLong("learning-rate"), help: "Adam step size.")
    var learningRate: Float = 0.02

    @Option(help: "Sampling temperature of the device's rollouts.")
    var temperature: Float = 0.8

    @Option(name: .customLong("max-tokens"), help: "Most tokens per answer.")
    var maxTokens = 384

    @Option(name: .customLong("train-seed"), help: "Seed of the rollouts' sampling and of the training.")
    var trainSeed: UInt64 = 0

    @Option(help: "Threads per model.")
    var threads: Int?

    @Flag(help: "Continue the rollouts and training found beside --out.")
    var resume = false

    @Option(help: "Where to write the policy (JSON).")
    var out: String

    func validate() throws {
        guard ["arithmetic", "humaneval"].contains(task) else { throw ValidationError("--task must be arithmetic or humaneval") }
        guard n >= 2, group >= 2, steps >= 1, promptsPerStep >= 1, maxTokens >= 1 else {
            throw ValidationError("--n and --group must be at least 2; --steps, --prompts-per-step and --max-tokens positive")
        }
        guard (0...1).contains(budget) else { throw ValidationError("--budget must be in 0...1") }
        guard temperature > 0 else { throw ValidationError("--temperature must be positive: the rollouts are samples") }
        if cloud.hasPrefix("http") { throw ValidationError("the rollouts run the cloud model in this process: give a model name or .gguf path") }
    }

    func run() async throws {
        let rolloutsPath = out + ".rollouts.jsonl", statePath = out + ".state.json"
        if !resume, FileManager.default.fileExists(atPath: rolloutsPath) {
            throw EvalFailure("\(rolloutsPath) exists: pass --resume to continue it, or another --out")
        }
        let deviceEngine = try Engine(path: try await ensureModel(device), threads: threads)
        let cloudEngine = try Engine(path: try await ensureModel(cloud), threads: threads)
        let tasks: [EvalTask]
        if task == "arithmetic" {
            tasks = try EvalTask.arithmetic(ArithmeticProblem.generate(count: n, seed: seed), tokenizer: deviceEngine.tokenizer)
        } else {
            let path = try await HumanEvalDataset().ensure { printError($0) }
            let problems = try HumanEvalProblem.split(HumanEvalProblem.load(jsonl: path), "dev")
            tasks = try EvalTask.humanEval(Array(problems.prefix(n)), tokenizer: deviceEngine.tokenizer)
        }
        // Rollouts, resumable per prompt.
        var done: [String: QueryRollout] = [:]
        if let text = try? String(contentsOfFile: rolloutsPath, encoding: .utf8) {
            for line in text.split(separator: "\n") {
                if let rollout = try? JSONDecoder().decode(QueryRollout.self, from: Data(line.utf8)) { done[rollout.id] = rollout }
            }
        }
        let collectBar = ProgressBar(label: "rollouts", total: Int64(tasks.count), unit: .items)
        let started = Date()
        let collected = try await QueryRolloutCollector.collect(
            device: deviceEngine, cloud: cloudEngine, tasks: tasks, group: group, temperature: temperature, maxTokens: maxTokens,
            seed: trainSeed, done: done, save: { rollout in try appendJSONLine(rollout, to: rolloutsPath) },
            progress: { collectBar.update(completed: Int64($0)) })
        collectBar.finish()
        // Rollouts collected before their task had a check get it from the kept answer text.
        let rollouts = try await QueryRolloutCollector.addChecks(collected, tasks: tasks)
        let rolloutSeconds = Date().timeIntervalSince(started)
        let samples = rollouts.flatMap(\.samples)
        printError(String(format: "rollouts: %d prompts × %d samples; device correct %.1f%%, cloud correct %.1f%%; solved by the device at least once: %d, only by the cloud: %d",
                          rollouts.count, group, 100 * Double(samples.filter { $0.outcome == .correct }.count) / Double(max(1, samples.count)),
                          100 * Double(rollouts.filter { $0.cloud == .correct }.count) / Double(max(1, rollouts.count)),
                          rollouts.filter(\.deviceSolved).count, rollouts.filter(\.cloudOnly).count))

        // Training, resumable from the saved state.
        var trainer = QueryRoutingTrainer(rollouts: rollouts, seed: trainSeed)
        if resume, let data = FileManager.default.contents(atPath: statePath) {
            trainer = try JSONDecoder().decode(QueryRoutingTrainer.self, from: data)
        }
        let options = QueryRoutingTrainingOptions(budget: budget, promptsPerStep: promptsPerStep, learningRate: learningRate)
        let bar = ProgressBar(label: "train", total: Int64(steps), unit: .items)
        var recent: [RoutingStep] = []
        let trainStarted = Date()
        while trainer.step < steps {
            let step = trainer.step(rollouts, options: options)
            recent = Array((recent + [step]).suffix(20))
            let reward = recent.map(\.meanReward).reduce(0, +) / Double(recent.count)
            let calls = recent.map(\.callRate).reduce(0, +) / Double(recent.count)
            bar.reset(label: String(format: "train reward %.2f calls %.0f%% kept %d+%d", reward, 100 * calls, step.deviceSolved, step.cloudOnly),
                      total: Int64(steps))
            bar.update(completed: Int64(trainer.step))
            if trainer.step % 25 == 0 || trainer.step == steps {
                try JSONEncoder().encode(trainer).write(to: URL(fileURLWithPath: statePath))
            }
        }
        bar.finish()
        let threshold = trainer.threshold(rollouts, budget: budget)
        let trainRate = Double(samples.filter { trainer.policy.logit($0.features) >= threshold }.count) / Double(max(1, samples.count))
        let policy = QueryRoutingPolicy(
            device: device, cloud: cloud, task: task, budget: budget, policy: trainer.policy, threshold: threshold,
            promptClassifier: QueryRoutingTrainer.promptClassifier(rollouts),
            training: ["prompts": Double(rollouts.count), "group": Double(group), "steps": Double(trainer.step),
                       "rollout_seconds": rolloutSeconds, "train_seconds": Date().timeIntervalSince(trainStarted),
                       "train_call_rate": trainRate, "mean_reward_last_20": recent.map(\.meanReward).reduce(0, +) / Double(max(1, recent.count))])
        try policy.save(to: out)
        // What the policy looks at: the answer statistics' (and check's) weights and the probe state's share.
        let w = trainer.policy.weights
        let names = QueryFeatures.statNames + (trainer.policy.input == .answerChecked ? ExampleCheck.featureNames : [])
        let probeNorm = sqrt(w.dropLast(names.count).map { $0 * $0 }.reduce(0, +))
        print(String(format: "threshold (logit) %.3f; hand-off rate on the training samples %.1f%% (budget %.0f%%)", threshold, 100 * trainRate, 100 * budget))
        print("weights on the answer statistics (standardised): " + zip(names, w.suffix(names.count))
            .map { String(format: "%@ %+.3f", $0, $1) }.joined(separator: ", ") + String(format: "; probe hidden state: norm %.3f over %d", probeNorm, w.count - names.count))
        print("wrote \(out)")
    }
}
