import Foundation
import TandemCloud
import TandemCollaboration
import TandemEngine
import Testing

/// Seed 3's token routing: the router, its training, its file, and the mode end to end with
/// the real pair.
@Suite(.serialized) struct TokenRoutingTests {
    /// A router of the right size whose weights do not matter (identities hold for any).
    static func untrainedRouter(inputs: Int) -> TokenRouter {
        var generator = SplitMix64(state: 7)
        let hidden = 4
        return TokenRouter(device: "d", cloud: "c", inputSize: inputs, hiddenSize: hidden,
                           mean: Array(repeating: 0, count: inputs), scale: Array(repeating: 1, count: inputs),
                           w1: (0..<(inputs * hidden)).map { _ in Float(generator.next() % 2001) / 1000 - 1 },
                           b1: Array(repeating: 0, count: hidden), w2: [1, -1, 0.5, -0.5], b2: 0, points: [],
                           report: .init(trainTokens: 0, validationTokens: 0, positiveShare: 0, epochs: 0, trainLoss: 0,
                                         validationAUC: 0, confidenceAUC: 0))
    }

    @Test func routingNothingEqualsDeviceAndRoutingEverythingEqualsCloud() async throws {
        let router = Self.untrainedRouter(inputs: try await Pair.shared.engines().device.configuration.embeddingLength)
        for text in identityPrompts.prefix(6) {
            let prompt = try await Pair.shared.chatPrompt(text)
            let device = try await Pair.shared.run(prompt, mode: .device)
            let none = try await Pair.shared.run(prompt, mode: .tokenRouting, policy: OffloadPolicy(riskThreshold: 2, budget: 1),
                                                 router: router, chunkSize: 1)
            #expect(none.tokens == device.tokens, "\(text)")
            #expect(none.stats.cloudCalls == 0)
            let cloud = try await Pair.shared.run(prompt, mode: .cloud)
            let all = try await Pair.shared.run(prompt, mode: .tokenRouting, policy: OffloadPolicy(riskThreshold: 0, budget: 1),
                                                router: router, chunkSize: 1)
            #expect(all.tokens == cloud.tokens, "\(text)")
            #expect(all.provenance.allSatisfy { $0 == .verified || $0 == .corrected })
        }
    }

    @Test func aRouterForAnotherModelIsAClearError() async throws {
        let prompt = try await Pair.shared.chatPrompt("Hi")
        await #expect(throws: EngineError.self) {
            _ = try await Pair.shared.run(prompt, mode: .tokenRouting, router: Self.untrainedRouter(inputs: 17), chunkSize: 1)
        }
        await #expect(throws: EngineError.self) {
            _ = try await Pair.shared.run(prompt, mode: .tokenRouting, router: nil, chunkSize: 1)
        }
    }

    /// Profile the pair with hidden states, keep the features in a file, train on them, and
    /// route with the trained router.
    @Test func profileTrainAndRouteEndToEnd() async throws {
        let (device, cloud) = try await Pair.shared.engines()
        let prompts = try await identityPrompts.prefix(8).asyncMap { try await Pair.shared.chatPrompt($0) }
        let profile = try await PairProfile.collect(device: device, cloud: cloud.engine, prompts: prompts, maxTokens: 24, hiddenStates: true)
        #expect(profile.hiddenSize == device.configuration.embeddingLength)
        #expect(profile.sequences.flatMap { $0 }.allSatisfy { $0.hidden.count == profile.hiddenSize })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("features-\(UUID().uuidString).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try profile.save(to: path)
        let loaded = try PairProfile.load(from: path)
        #expect(loaded.sequences.map { $0.map(\.hidden) } == profile.sequences.map { $0.map(\.hidden) })
        #expect(loaded.sequences.map { $0.map(\.agrees) } == profile.sequences.map { $0.map(\.agrees) })

        let router = try TokenRouter.train(loaded, device: "d", cloud: "c", options: RouterTrainingOptions(hiddenSize: 8, epochs: 5, shares: [0.25]))
        let threshold = router.threshold(share: 0.25)
        #expect(threshold < 1)
        let prompt = prompts[1]
        let routed = try await Pair.shared.run(prompt, mode: .tokenRouting, policy: OffloadPolicy(riskThreshold: threshold, budget: 1),
                                               router: router, chunkSize: 1)
        #expect(routed.stats.warnings.isEmpty)
        #expect(routed.stats.offloadedTokens == routed.stats.cloudCalls - routed.stats.droppedCalls)
        #expect(routed.provenance.count == routed.tokens.count)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
