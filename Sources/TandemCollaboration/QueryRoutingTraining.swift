import Foundation
import TandemEngine

/// How an answer fared, for the hierarchical reward.
public enum AnswerOutcome: String, Sendable, Codable {
    case correct
    /// Wrong, but in the asked-for form (an `<answer>` number, a fenced code block).
    case wellFormed = "well_formed"
    case malformed
}

/// One training prompt's rollouts: G sampled device answers (with what the router reads at
/// their end) and how the cloud's answer fared.
public struct QueryRollout: Sendable, Codable {
    public struct Sample: Sendable, Codable {
        public var outcome: AnswerOutcome
        public var features: QueryFeatures
        /// The sampled answer's text (absent in files written before it was kept), so what
        /// is read from it can be computed again without sampling again.
        public var text: String?

        public init(outcome: AnswerOutcome, features: QueryFeatures, text: String? = nil) {
            self.outcome = outcome
            self.features = features
            self.text = text
        }
    }

    public var id: String
    public var samples: [Sample]
    public var cloud: AnswerOutcome

    public init(id: String, samples: [Sample], cloud: AnswerOutcome) {
        self.id = id
        self.samples = samples
        self.cloud = cloud
    }

    public var deviceSolved: Bool { samples.contains { $0.outcome == .correct } }
    public var cloudOnly: Bool { !deviceSolved && cloud == .correct }
}

/// The seed's hierarchical reward: correct on the device > correct through the cloud >
/// wrong but well-formed > otherwise.
public struct RoutingRewards: Sendable, Codable, Equatable {
    public var deviceCorrect: Double = 2.0
    public var cloudCorrect: Double = 0.5
    public var wellFormed: Double = 0.2
    public var malformed: Double = 0

    public init() {}

    public func reward(_ outcome: AnswerOutcome, handedOff: Bool) -> Double {
        switch outcome {
        case .correct: handedOff ? cloudCorrect : deviceCorrect
        case .wellFormed: wellFormed
        case .malformed: malformed
        }
    }
}

public struct QueryRoutingTrainingOptions: Sendable {
    /// ρ: largest share of queries handed off; also caps cloud-only prompts per batch.
    public var budget: Double = 0.3
    public var promptsPerStep: Int = 16
    public var learningRate: Float = 0.02
    public var rewards = RoutingRewards()

    public init(budget: Double = 0.3, promptsPerStep: Int = 16, learningRate: Float = 0.02) {
        self.budget = budget
        self.promptsPerStep = promptsPerStep
        self.learningRate = learningRate
    }
}

/// What one step did (the progress bar shows it).
public struct RoutingStep: Sendable, Codable, Equatable {
    public var step: Int
    public var meanReward: Double
    public var callRate: Double
    /// Prompts kept by the adaptive filter: solved by the device at least once, and solved
    /// only by the cloud (capped at ρ × the former).
    public var deviceSolved: Int
    public var cloudOnly: Int
}

/// Group-adaptive policy gradient for the routing head: per prompt, G device samples each
/// with a hand-off decision drawn from the policy; advantage r_i − mean(r) over the group,
/// scaled by G/(G−1), no division by the standard deviation; adaptive prompt filtering; Adam.
/// The device's answers do not depend on the routing head, so the rollouts are sampled once
/// (`QueryRollout`) and the decisions are redrawn every step. The whole state (policy, Adam
/// moments, step, random generator) is `Codable`: training resumes exactly.
public struct QueryRoutingTrainer: Sendable, Codable {
    public var policy: LogisticScorer
    var generator: SplitMix64
    var adam: Adam
    public var step: Int { adam.t }

    /// The policy reads the answer's check too when every sample has one.
    public init(rollouts: [QueryRollout], seed: UInt64) {
        let features = rollouts.flatMap { $0.samples.map(\.features) }
        let checked = !features.isEmpty && features.allSatisfy { !$0.check.isEmpty }
        policy = LogisticScorer(input: checked ? .answerChecked : .answer, fittedTo: features)
        generator = SplitMix64(state: seed)
        adam = Adam(count: policy.weights.count + 1)
    }

    /// One step over a batch of prompts drawn from `rollouts`.
    public mutating func step(_ rollouts: [QueryRollout], options: QueryRoutingTrainingOptions) -> RoutingStep {
        var batch: [QueryRollout] = []
        for _ in 0..<min(options.promptsPerStep, rollouts.count) {
            batch.append(rollouts[Int(generator.next() % UInt64(rollouts.count))])
        }
        let solved = batch.filter(\.deviceSolved)
        let cap = Int((options.budget * Double(solved.count)).rounded(.down))
        let cloudOnly = Array(batch.filter(\.cloudOnly).prefix(cap))
        let kept = solved + cloudOnly
        let d = policy.weights.count
        var gradient = [Float](repeating: 0, count: d + 1)
        var rewardSum = 0.0, calls = 0, decisions = 0
        for prompt in kept where prompt.samples.count >= 2 {
            let g = prompt.samples.count
            let xs = prompt.samples.map { policy.standardised($0.features) }
            let ps = xs.map { VectorMath.sigmoid(policy.logit(standardised: $0)) }
            let actions = ps.map { p in Float(Double(generator.next() >> 11) / Double(1 << 53)) < p }
            let rewards = zip(prompt.samples, actions).map { sample, handedOff in
                options.rewards.reward(handedOff ? prompt.cloud : sample.outcome, handedOff: handedOff)
            }
            let mean = rewards.reduce(0, +) / Double(g)
            for i in 0..<g {
                let advantage = Float((rewards[i] - mean) * Double(g) / Double(g - 1))
                // d/dz log π(a | x) = a − p for a Bernoulli with p = σ(z).
                let coefficient = advantage * ((actions[i] ? 1 : 0) - ps[i])
                xs[i].withUnsafeBufferPointer { x in
                    gradient.withUnsafeMutableBufferPointer { gr in VectorMath.axpy(coefficient, x.baseAddress!, gr.baseAddress!, d) }
                }
                gradient[d] += coefficient
            }
            rewardSum += rewards.reduce(0, +)
            calls += actions.filter { $0 }.count
            decisions += g
        }
        // Adam, ascending the objective (a step with nothing kept still counts).
        if decisions > 0 {
            let delta = adam.step(gradient.map { $0 / Float(decisions) }, rate: options.learningRate)
            for i in 0..<d { policy.weights[i] += delta[i] }
            policy.bias += delta[d]
        } else {
            adam.skip()
        }
        return RoutingStep(step: step, meanReward: decisions == 0 ? 0 : rewardSum / Double(decisions),
                           callRate: decisions == 0 ? 0 : Double(calls) / Double(decisions),
                           deviceSolved: solved.count, cloudOnly: cloudOnly.count)
    }

    /// The hand-off threshold on the policy's logit: 0 (probability 0.5), raised to the
    /// logit of the budget-th highest training sample when that is higher, so the training
    /// hand-off rate stays within the budget.
    public func threshold(_ rollouts: [QueryRollout], budget: Double) -> Float {
        let logits = rollouts.flatMap { $0.samples.map { policy.logit($0.features) } }.sorted()
        guard !logits.isEmpty else { return 0 }
        let allowed = Int((budget * Double(logits.count)).rounded(.down))
        guard allowed > 0 else { return .infinity }
        // The `allowed` highest logits reach the threshold (one more only on an exact tie).
        return max(0, logits[logits.count - allowed])
    }

    /// The prompt-only baseline: logistic regression on the prompt's hidden state, the label
    /// being the share of the device's samples that failed.
    public static func promptClassifier(_ rollouts: [QueryRollout], epochs: Int = 300, learningRate: Float = 0.01) -> LogisticScorer {
        let features = rollouts.compactMap { $0.samples.first?.features }
        var scorer = LogisticScorer(input: .prompt, fittedTo: features)
        let xs = features.map { scorer.standardised($0) }
        let ys = rollouts.filter { !$0.samples.isEmpty }.map { r in Float(r.samples.filter { $0.outcome != .correct }.count) / Float(r.samples.count) }
        let d = scorer.weights.count
        guard !xs.isEmpty, d > 0 else { return scorer }
        var adam = Adam(count: d + 1)
        for _ in 1...epochs {
            var gradient = [Float](repeating: 0, count: d + 1)
            for (x, y) in zip(xs, ys) {
                let p = VectorMath.sigmoid(scorer.logit(standardised: x))
                let e = p - y
                x.withUnsafeBufferPointer { xb in gradient.withUnsafeMutableBufferPointer { VectorMath.axpy(e, xb.baseAddress!, $0.baseAddress!, d) } }
                gradient[d] += e
            }
            // L2 keeps 896 weights on a few dozen prompts from memorising them.
            let delta = adam.step((0...d).map { i in gradient[i] / Float(xs.count) + (i < d ? 0.01 * scorer.weights[i] : 0) }, rate: learningRate)
            for i in 0..<d { scorer.weights[i] -= delta[i] }
            scorer.bias -= delta[d]
        }
        return scorer
    }
}
