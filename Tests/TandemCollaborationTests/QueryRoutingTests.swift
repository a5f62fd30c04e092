import Foundation
import Synchronization
import TandemCloud
import TandemCollaboration
import TandemEngine
import Testing

/// Query routing with the real pair: features, batched sampling, and the mode's two ends.
@Suite(.serialized) struct QueryRoutingTests {
    static func policy(threshold: Float, inputs: Int) -> QueryRoutingPolicy {
        let zeros = LogisticScorer(input: .answer, mean: Array(repeating: 0, count: inputs + 4), scale: Array(repeating: 1, count: inputs + 4),
                                   weights: Array(repeating: 0, count: inputs + 4), bias: 0)
        let prompt = LogisticScorer(input: .prompt, mean: Array(repeating: 0, count: inputs), scale: Array(repeating: 1, count: inputs),
                                    weights: Array(repeating: 0, count: inputs), bias: 0)
        return QueryRoutingPolicy(device: "d", cloud: "c", task: "t", budget: 0.3, policy: zeros, threshold: threshold,
                                  promptClassifier: prompt, training: [:])
    }

    @Test func keepsTheDeviceAnswerOrHandsTheQueryToTheCloud() async throws {
        let (device, cloud) = try await Pair.shared.engines()
        let d = device.configuration.embeddingLength
        let prompt = try await Pair.shared.chatPrompt(identityPrompts[1])
        let alone = try await Pair.shared.run(prompt, mode: .device)
        let cloudAnswer = try await Pair.shared.run(prompt, mode: .cloud)
        let options = CollaborationOptions(mode: .queryRouting, maxTokens: 24, timeout: 300)
        // A zero policy gives logit 0: threshold 0.1 keeps the device's answer, -0.1 hands off.
        let (kept, keep) = try await QueryRoutingDecoder(device: device, cloud: InProcessVerifier(service: cloud), options: options,
                                                         policy: Self.policy(threshold: 0.1, inputs: d)).run(prompt: prompt)
        #expect(!keep.handedOff && kept.tokens == alone.tokens && kept.stats.cloudCalls == 0)
        let (handed, handOff) = try await QueryRoutingDecoder(device: device, cloud: InProcessVerifier(service: cloud), options: options,
                                                              policy: Self.policy(threshold: -0.1, inputs: d)).run(prompt: prompt)
        #expect(handOff.handedOff && handed.tokens == cloudAnswer.tokens)
        #expect(handed.provenance.allSatisfy { $0 == .cloud })
        #expect(abs(handOff.probability - 0.5) < 1e-6)
        // The decoder refuses to run query routing token by token.
        await #expect(throws: EngineError.self) { _ = try await Pair.shared.run(prompt, mode: .queryRouting) }
    }

    @Test func aPolicyTrainedWithChecksReadsTheAnswersCheck() async throws {
        let (device, cloud) = try await Pair.shared.engines()
        let d = device.configuration.embeddingLength
        let prompt = try await Pair.shared.chatPrompt(identityPrompts[1])
        var policy = Self.policy(threshold: -5, inputs: d)
        // Logit −10 × share of examples passed: all passed keeps the answer, none hands it off.
        policy.policy = LogisticScorer(input: .answerChecked, mean: Array(repeating: 0, count: d + 6), scale: Array(repeating: 1, count: d + 6),
                                       weights: Array(repeating: 0, count: d + 5) + [-10], bias: 0)
        let options = CollaborationOptions(mode: .queryRouting, maxTokens: 12, timeout: 300)
        let decoder = QueryRoutingDecoder(device: device, cloud: InProcessVerifier(service: cloud), options: options, policy: policy)
        let seen = Mutex<[String]>([])
        let (_, kept) = try await decoder.run(prompt: prompt, check: { text in seen.withLock { $0.append(text) }; return [1, 1] })
        #expect(!kept.handedOff && kept.check == [1, 1])
        let alone = try await Pair.shared.run(prompt, mode: .device, maxTokens: 12)
        #expect(seen.withLock { $0 } == [alone.text], "the check reads the device's answer")
        let (_, handed) = try await decoder.run(prompt: prompt, check: { _ in [1, 0] })
        #expect(handed.handedOff && handed.check == [1, 0])
        // Such a policy cannot decide without the check.
        await #expect(throws: EngineError.self) { _ = try await decoder.run(prompt: prompt) }
    }

    @Test func featuresAndBatchedSamples() async throws {
        let (device, _) = try await Pair.shared.engines()
        let prompt = try await Pair.shared.chatPrompt(identityPrompts[1])
        let greedy = try await Pair.shared.run(prompt, mode: .device, maxTokens: 12).tokens
        let sampling = [SamplingParameters.greedy, SamplingParameters(temperature: 0.8, seed: 1), SamplingParameters(temperature: 0.8, seed: 2)]
        let answers = try BatchGenerator.generate(device, prompts: Array(repeating: prompt, count: 3), sampling: sampling, maxTokens: 12)
        #expect(answers.allSatisfy { $0.count <= 12 && !$0.isEmpty })
        // Batched greedy decoding may sum in another order than single-sequence decoding; the
        // first token comes from the same prefill.
        #expect(answers[0].first == greedy.first)
        let again = try BatchGenerator.generate(device, prompts: Array(repeating: prompt, count: 3), sampling: sampling, maxTokens: 12)
        #expect(again == answers)
        let features = try QueryFeatures.extract(device: device, prompt: prompt, answer: greedy)
        #expect(features.probe.count == device.configuration.embeddingLength && features.prompt.count == features.probe.count)
        #expect(features.stats.count == QueryFeatures.statNames.count)
        // Greedy tokens are the top-1: mean log-probability ≤ 0, lowest probability in (0, 1].
        #expect(features.stats[0] <= 0 && features.stats[1] > 0 && features.stats[1] <= 1)
    }
}
