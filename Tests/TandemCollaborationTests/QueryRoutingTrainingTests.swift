import Foundation
import TandemCollaboration
import TandemEngine
import Testing

/// The group-adaptive policy gradient on synthetic rollouts where the answer's state tells
/// whether the device got it right.
struct QueryRoutingTrainingTests {
    /// 40 prompts × 8 samples. A quarter are hard: the device fails every sample, the cloud
    /// answers right, and the probe state's first number is high. The rest are easy: the
    /// device is right on 6 of 8 samples.
    static func rollouts(seed: UInt64 = 3) -> [QueryRollout] {
        var generator = SplitMix64(state: seed)
        func noise() -> Float { Float(generator.next() >> 40) / Float(1 << 24) - 0.5 }
        return (0..<40).map { p in
            let hard = p % 4 == 0
            let samples = (0..<8).map { i -> QueryRollout.Sample in
                let outcome: AnswerOutcome = hard ? .wellFormed : (i < 6 ? .correct : .wellFormed)
                let signal: Float = outcome == .correct ? -1 : 1
                let features = QueryFeatures(probe: [signal + noise(), noise(), noise()], stats: [noise(), noise(), noise(), noise()],
                                             prompt: [hard ? 1 : -1, noise()])
                return .init(outcome: outcome, features: features)
            }
            return QueryRollout(id: "p\(p)", samples: samples, cloud: .correct)
        }
    }

    @Test func rewardsAreHierarchical() {
        let r = RoutingRewards()
        #expect(r.reward(.correct, handedOff: false) > r.reward(.correct, handedOff: true))
        #expect(r.reward(.correct, handedOff: true) > r.reward(.wellFormed, handedOff: true))
        #expect(r.reward(.wellFormed, handedOff: false) > r.reward(.malformed, handedOff: false))
    }

    @Test func learnsToHandOffTheAnswersTheDeviceGotWrongWithinTheBudget() throws {
        let rollouts = Self.rollouts()
        var trainer = QueryRoutingTrainer(rollouts: rollouts, seed: 1)
        let options = QueryRoutingTrainingOptions(budget: 0.3, promptsPerStep: 16, learningRate: 0.05)
        var steps: [RoutingStep] = []
        for _ in 0..<200 { steps.append(trainer.step(rollouts, options: options)) }
        // Adaptive filtering: cloud-only prompts never exceed ρ × device-solved ones.
        #expect(steps.allSatisfy { Double($0.cloudOnly) <= 0.3 * Double($0.deviceSolved) })
        #expect(steps.contains { $0.cloudOnly > 0 })
        let early: Double = steps.prefix(20).map(\.meanReward).reduce(0, +) / 20
        let late: Double = steps.suffix(20).map(\.meanReward).reduce(0, +) / 20
        #expect(late > early)
        let wrong = rollouts.flatMap(\.samples).filter { $0.outcome != .correct }.map { trainer.policy.probability($0.features) }
        let right = rollouts.flatMap(\.samples).filter { $0.outcome == .correct }.map { trainer.policy.probability($0.features) }
        let wrongMean: Float = wrong.reduce(0, +) / Float(wrong.count)
        let rightMean: Float = right.reduce(0, +) / Float(right.count)
        #expect(wrongMean > rightMean + 0.3)
        // The threshold keeps the hand-off rate on the training samples within the budget.
        let threshold = trainer.threshold(rollouts, budget: 0.3)
        let all = rollouts.flatMap(\.samples)
        let handedOff = all.filter { trainer.policy.logit($0.features) >= threshold }.count
        #expect(Double(handedOff) <= 0.3 * Double(all.count))
    }

    @Test func readsTheAnswersCheckWhenEverySampleHasOne() throws {
        // The probe state says nothing here; only the check (examples passed) tells right from wrong.
        var rollouts = Self.rollouts()
        var generator = SplitMix64(state: 5)
        for r in rollouts.indices {
            for s in rollouts[r].samples.indices {
                let right = rollouts[r].samples[s].outcome == .correct
                rollouts[r].samples[s].features.probe[0] = Float(generator.next() >> 40) / Float(1 << 24)
                rollouts[r].samples[s].features.check = [1, right ? 1 : 0.25]
            }
        }
        var trainer = QueryRoutingTrainer(rollouts: rollouts, seed: 1)
        #expect(trainer.policy.input == .answerChecked)
        #expect(trainer.policy.weights.count == 3 + 4 + 2)
        let options = QueryRoutingTrainingOptions(budget: 0.3, promptsPerStep: 16, learningRate: 0.05)
        for _ in 0..<200 { _ = trainer.step(rollouts, options: options) }
        #expect(trainer.policy.weights.last! < -0.5, "more examples passed, less hand-off: \(trainer.policy.weights)")
        let all = rollouts.flatMap(\.samples)
        let wrong = all.filter { $0.outcome != .correct }.map { trainer.policy.probability($0.features) }
        let right = all.filter { $0.outcome == .correct }.map { trainer.policy.probability($0.features) }
        #expect(wrong.min()! > right.max()!)
        // Without checks on every sample the policy reads the answer alone.
        rollouts[0].samples[0].features.check = []
        #expect(QueryRoutingTrainer(rollouts: rollouts, seed: 1).policy.input == .answer)
    }

    @Test func resumingFromTheSavedStateEqualsRunningThrough() throws {
        let rollouts = Self.rollouts()
        let options = QueryRoutingTrainingOptions()
        var through = QueryRoutingTrainer(rollouts: rollouts, seed: 9)
        for _ in 0..<30 { _ = through.step(rollouts, options: options) }
        var first = QueryRoutingTrainer(rollouts: rollouts, seed: 9)
        for _ in 0..<12 { _ = first.step(rollouts, options: options) }
        var resumed = try JSONDecoder().decode(QueryRoutingTrainer.self, from: JSONEncoder().encode(first))
        for _ in 0..<18 { _ = resumed.step(rollouts, options: options) }
        #expect(resumed.policy == through.policy)
        #expect(resumed.step == 30)
    }

    @Test func promptClassifierRanksHardPromptsFirst() {
        let rollouts = Self.rollouts()
        let classifier = QueryRoutingTrainer.promptClassifier(rollouts)
        let hard = rollouts.filter { !$0.deviceSolved }.map { classifier.probability($0.samples[0].features) }
        let easy = rollouts.filter(\.deviceSolved).map { classifier.probability($0.samples[0].features) }
        #expect(hard.min()! > easy.max()!)
    }
}
