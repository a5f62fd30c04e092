import ArgumentParser
import Foundation
import TandemCollaboration

/// `tandem train-router`: trains seed 3's token router for `--mode token-routing`.
struct TrainRouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-router",
        abstract: "Train the token router (an MLP on the device model's hidden state) for --mode token-routing.",
        discussion: """
        The training data is the device's own greedy answers, scored by both models: per token, \
        the device's final hidden state and whether the cloud's greedy token agrees (the label: \
        route when it does not). --features reuses the file `tandem profile --features` (or an \
        earlier train-router) wrote; without it, or when the file does not exist yet, the pair \
        is run on --dataset (and the features are saved to --features when given). Train on data \
        you will not judge on (HumanEval's dev split, or another arithmetic seed).
        """)

    @OptionGroup var inputs: ProfileInputs

    @Option(help: "Per-token features from `tandem profile --features` (read when it exists, else written).")
    var features: String?

    @Option(help: "Units in the router's hidden layer.")
    var hidden = 64

    @Option(help: "Passes over the training tokens.")
    var epochs = 20

    @Option(name: .customLong("learning-rate"), help: "Adam step size.")
    var learningRate: Float = 1e-3

    @Option(name: .customLong("train-seed"), help: "Seed of the initial weights, the shuffles and the held-out prompts.")
    var trainSeed: UInt64 = 0

    @Option(help: "Routed shares to find thresholds for, comma-separated.")
    var shares = "0.05,0.1,0.15,0.25,0.4"

    @Option(help: "Where to write the router (JSON).")
    var out: String

    func validate() throws {
        try inputs.check()
        guard hidden >= 1, epochs >= 1, learningRate > 0 else { throw ValidationError("--hidden, --epochs and --learning-rate must be positive") }
        guard !parsedShares.isEmpty, parsedShares.allSatisfy({ (0...1).contains($0) }) else {
            throw ValidationError("--shares must be comma-separated numbers in 0...1")
        }
        if inputs.dataset == nil && (features == nil || !FileManager.default.fileExists(atPath: features!)) {
            throw ValidationError("give --dataset (to profile the pair) or an existing --features file")
        }
    }

    var parsedShares: [Double] { shares.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }

    func run() async throws {
        let profile: PairProfile
        if let features, FileManager.default.fileExists(atPath: features) {
            profile = try PairProfile.load(from: features)
            printError("read \(features): \(profile.tokenCount) tokens from \(profile.sequences.count) answers")
        } else {
            profile = try await inputs.collect(hiddenStates: true)
            if let features { try profile.save(to: features); printError("wrote \(features)") }
        }
        let bar = ProgressBar(label: "train", total: Int64(epochs), unit: .items)
        let options = RouterTrainingOptions(hiddenSize: hidden, epochs: epochs, learningRate: learningRate, seed: trainSeed, shares: parsedShares)
        let router = try TokenRouter.train(profile, device: inputs.device, cloud: inputs.cloud, options: options) { epoch, _ in
            bar.update(completed: Int64(epoch))
        }
        bar.finish()
        try router.save(to: out)
        let r = router.report
        print(String(format: "%d training tokens (%.1f%% where the cloud disagrees), %d held out; final loss %.3f",
                     r.trainTokens, 100 * r.positiveShare, r.validationTokens, r.trainLoss))
        print(String(format: "held-out AUC: router %.3f, device confidence %.3f", r.validationAUC, r.confidenceAUC))
        print(renderTable(header: ["routed share", "threshold", "disagreements caught"], rows: router.points.map {
            [String(format: "%.2f", $0.share), String(format: "%.4f", $0.threshold), String(format: "%.1f%%", 100 * $0.disagreementsCaught)]
        }))
        print("wrote \(out)")
    }
}
