import Foundation
import TandemEngine
import TandemTokenizer

/// What query-level routing reads once the device has written its whole answer: the device
/// model's final hidden state after a fixed "is your answer correct?" probe, the answer's
/// confidence statistics, and (for the prompt-only baseline) the hidden state at the end of
/// the prompt, before any answer.
public struct QueryFeatures: Sendable, Codable, Equatable {
    public var probe: [Float]
    /// Mean log-probability of the answer's tokens, lowest token probability, share of
    /// tokens below probability 0.5, log(1 + answer length).
    public var stats: [Float]
    public var prompt: [Float]
    /// What a check the device can run on its own answer found (HumanEval: whether the
    /// prompt has examples and the share of them the answer passes, `ExampleCheck`); empty
    /// for tasks without one.
    public var check: [Float]

    public init(probe: [Float], stats: [Float], prompt: [Float], check: [Float] = []) {
        self.probe = probe
        self.stats = stats
        self.prompt = prompt
        self.check = check
    }

    enum CodingKeys: String, CodingKey { case probe, stats, prompt, check }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        probe = try c.decode([Float].self, forKey: .probe)
        stats = try c.decode([Float].self, forKey: .stats)
        prompt = try c.decode([Float].self, forKey: .prompt)
        // Rollouts written before answers were checked have none.
        check = try c.decodeIfPresent([Float].self, forKey: .check) ?? []
    }

    public static let statNames = ["mean_logprob", "min_prob", "low_share", "log_length"]
    /// The probe: a new user turn asking the device to judge its answer.
    public static let probeText = "Is your answer above correct? Reply yes or no."

    /// One forward pass over prompt + answer + probe.
    public static func extract(device: Engine, prompt: [TokenID], answer: [TokenID]) throws -> QueryFeatures {
        let probe = try device.tokenizer.encode(
            "<|im_end|>\n" + ChatTemplate.chatML.render([.user(probeText)], addGenerationPrompt: true), parseSpecial: true)
        let tokens = prompt + answer + probe
        let rows = try device.forward(tokens, cache: device.makeCache(),
                                      outputs: OutputRequest(rows: .all, distribution: .topK(20), hiddenState: true)).tokens
        var logprobs: [Float] = []
        for (k, token) in answer.enumerated() {
            let top = rows[prompt.count - 1 + k].top
            // A sampled token outside the top 20 gets the 20th's log-probability (an upper bound).
            logprobs.append(top.first { $0.id == token }?.logProb ?? (top.last?.logProb ?? -20))
        }
        let probabilities = logprobs.map { exp($0) }
        let stats: [Float] = answer.isEmpty ? [0, 1, 0, 0] : [
            logprobs.reduce(0, +) / Float(logprobs.count), probabilities.min()!,
            Float(probabilities.filter { $0 < 0.5 }.count) / Float(probabilities.count), log(1 + Float(answer.count)),
        ]
        return QueryFeatures(probe: rows[tokens.count - 1].hiddenState!, stats: stats, prompt: rows[prompt.count - 1].hiddenState!)
    }
}

/// A logistic scorer over standardised inputs: the query-routing policy (probe state + answer
/// statistics, trained by the policy gradient) and the prompt-only baseline classifier.
public struct LogisticScorer: Sendable, Codable, Equatable {
    public enum Input: String, Sendable, Codable {
        /// Probe hidden state and answer statistics.
        case answer
        /// Probe hidden state, answer statistics and the answer's check (`QueryFeatures.check`).
        case answerChecked = "answer_checked"
        /// The prompt's hidden state only.
        case prompt
    }

    public var input: Input
    public var mean: [Float]
    public var scale: [Float]
    public var weights: [Float]
    public var bias: Float

    public init(input: Input, mean: [Float], scale: [Float], weights: [Float], bias: Float) {
        self.input = input
        self.mean = mean
        self.scale = scale
        self.weights = weights
        self.bias = bias
    }

    public static func vector(_ f: QueryFeatures, _ input: Input) -> [Float] {
        switch input {
        case .answer: f.probe + f.stats
        case .answerChecked: f.probe + f.stats + f.check
        case .prompt: f.prompt
        }
    }

    /// Standardisation fitted to `samples`; zero weights.
    public init(input: Input, fittedTo samples: [QueryFeatures]) {
        let (mean, scale) = VectorMath.standardisation(samples.map { Self.vector($0, input) })
        self.init(input: input, mean: mean, scale: scale, weights: [Float](repeating: 0, count: mean.count), bias: 0)
    }

    public func standardised(_ f: QueryFeatures) -> [Float] {
        let v = Self.vector(f, input)
        precondition(v.count == weights.count, "features of \(v.count), scorer expects \(weights.count)")
        return (0..<v.count).map { (v[$0] - mean[$0]) * scale[$0] }
    }

    public func logit(standardised x: [Float]) -> Float {
        x.withUnsafeBufferPointer { xs in weights.withUnsafeBufferPointer { w in VectorMath.dot(w.baseAddress!, xs.baseAddress!, x.count) } } + bias
    }

    public func logit(_ f: QueryFeatures) -> Float { logit(standardised: standardised(f)) }

    public func probability(_ f: QueryFeatures) -> Float { VectorMath.sigmoid(logit(f)) }
}

/// The trained query router (`tandem route train`): the policy, the threshold that keeps
/// its hand-off rate within the budget, and the baselines trained on the same data.
public struct QueryRoutingPolicy: Sendable, Codable, Equatable {
    public var device: String
    public var cloud: String
    public var task: String
    /// Largest share of queries handed to the cloud.
    public var budget: Double
    public var policy: LogisticScorer
    /// Hand off when the policy's logit reaches this (0 is probability 0.5; a logit, because
    /// a confident policy's probabilities saturate at 1 in single precision and would tie).
    public var threshold: Float
    /// Prompt-only baseline: the probability that the device fails, from the prompt alone.
    public var promptClassifier: LogisticScorer
    public var training: [String: Double]

    public init(device: String, cloud: String, task: String, budget: Double, policy: LogisticScorer, threshold: Float,
                promptClassifier: LogisticScorer, training: [String: Double]) {
        self.device = device
        self.cloud = cloud
        self.task = task
        self.budget = budget
        self.policy = policy
        self.threshold = threshold
        self.promptClassifier = promptClassifier
        self.training = training
    }

    enum CodingKeys: String, CodingKey {
        case device, cloud, task, budget, policy, threshold, training
        case promptClassifier = "prompt_classifier"
    }

    public func handsOff(_ f: QueryFeatures) -> Bool { policy.logit(f) >= threshold }

    public static func load(from path: String) throws -> QueryRoutingPolicy {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CalibrationError("cannot read query-routing policy \(path): \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(QueryRoutingPolicy.self, from: data) } catch {
            throw CalibrationError("\(path) is not a Tandem query-routing policy: \(error)")
        }
    }

    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }
}
