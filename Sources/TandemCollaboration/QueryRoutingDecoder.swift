import Foundation
import TandemEngine

/// What query routing decided for one query, and the baselines' scores on the same answer
/// (recorded so an evaluation can compare them at the same hand-off rate).
public struct QueryRoutingDecision: Sendable, Codable, Equatable {
    public var handedOff: Bool
    /// Whether the policy alone wanted to hand off (before a `QueryBudget`; nil in records
    /// made without one).
    public var wanted: Bool?
    /// The policy's probability of handing off.
    public var probability: Float
    /// The prompt-only classifier's probability that the device fails.
    public var promptScore: Float
    /// Minus the mean log-probability of the device's answer (higher: less confident).
    public var confidenceScore: Float
    /// What the answer's check found (`QueryFeatures.check`), when the task has one.
    public var check: [Float]?

    public init(handedOff: Bool, wanted: Bool? = nil, probability: Float, promptScore: Float, confidenceScore: Float, check: [Float]? = nil) {
        self.handedOff = handedOff
        self.wanted = wanted
        self.probability = probability
        self.promptScore = promptScore
        self.confidenceScore = confidenceScore
        self.check = check
    }

    enum CodingKeys: String, CodingKey {
        case probability, wanted, check
        case handedOff = "handed_off"
        case promptScore = "prompt_score"
        case confidenceScore = "confidence_score"
    }
}

/// `query-routing` (seed 3's query level): the device writes its whole answer; the policy
/// reads the device's state at its end and either keeps it or hands the query to the cloud,
/// which answers it from the prompt. Nothing streams until the decision is made.
public struct QueryRoutingDecoder: Sendable {
    public let device: Engine
    public let cloud: (any CloudVerifier)?
    public let options: CollaborationOptions
    public let policy: QueryRoutingPolicy
    /// Shared by the queries of one deployment to hold the budget on unfamiliar queries;
    /// nil: the policy's threshold alone decides.
    public let budget: QueryBudget?

    public init(device: Engine, cloud: (any CloudVerifier)?, options: CollaborationOptions, policy: QueryRoutingPolicy,
                budget: QueryBudget? = nil) {
        self.device = device
        self.cloud = cloud
        self.options = options
        self.policy = policy
        self.budget = budget
    }

    /// - Parameters:
    ///   - attempt: the device's answer to `prompt` under these options when it is already
    ///     known (greedy device decoding is deterministic, so an evaluation that ran `device`
    ///     mode reuses it instead of writing it again).
    ///   - check: the task's check of an answer's text (`QueryFeatures.check`); a policy
    ///     trained with checks (`LogisticScorer.Input.answerChecked`) needs it.
    public func run(prompt: [TokenID], attempt known: CollaborationResult? = nil,
                    check: (@Sendable (String) async throws -> [Float])? = nil,
                    emit: @escaping @Sendable (CollaborationEvent) -> Void = { _ in }) async throws -> (CollaborationResult, QueryRoutingDecision) {
        if policy.policy.input == .answerChecked && check == nil {
            throw EngineError.invalidRequest("this query-routing policy reads a check of the answer (examples in the prompt), and none was given")
        }
        var deviceOptions = options
        deviceOptions.mode = .device
        let attempt: CollaborationResult
        if let known { attempt = known } else {
            attempt = try await CollaborativeDecoder(device: device, cloud: nil, options: deviceOptions).run(prompt: prompt)
        }
        let began = ContinuousClock.now
        var features = try QueryFeatures.extract(device: device, prompt: prompt, answer: attempt.tokens)
        if let check { features.check = try await check(attempt.text) }
        let probability = policy.policy.probability(features)
        let wanted = cloud != nil && policy.handsOff(features)
        let handedOff = budget.map { $0.admit(score: probability, wanted: wanted) } ?? wanted
        let decision = QueryRoutingDecision(handedOff: handedOff, wanted: budget == nil ? nil : wanted, probability: probability,
                                            promptScore: policy.promptClassifier.probability(features), confidenceScore: -features.stats[0],
                                            check: check == nil ? nil : features.check)
        let deciding = (ContinuousClock.now - began).milliseconds
        var result = attempt
        if decision.handedOff, let cloud {
            var cloudOptions = options
            cloudOptions.mode = .cloud
            let answer = try await CollaborativeDecoder(device: device, cloud: cloud, options: cloudOptions).run(prompt: prompt)
            result = answer
            result.stats.deviceMilliseconds += attempt.stats.deviceMilliseconds
            result.stats.wastedDraftTokens += attempt.tokens.count
            // The user waited for the device's attempt and the decision before the cloud's first token.
            result.stats.ttftMilliseconds += attempt.stats.ttftMilliseconds + Double(attempt.tokens.count) * attempt.stats.tbtMilliseconds.mean + deciding
        }
        result.stats.deviceMilliseconds += deciding
        for (token, origin) in zip(result.tokens, result.provenance) { emit(.token(token, origin)) }
        if !result.text.isEmpty { emit(.text(result.text)) }
        for warning in result.stats.warnings { emit(.warning(warning)) }
        emit(.finished(result))
        return (result, decision)
    }
}
