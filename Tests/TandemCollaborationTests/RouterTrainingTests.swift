import Foundation
import TandemCollaboration
import TandemEngine
import Testing

/// Router training on synthetic features where the label is a known function of the input.
struct RouterTrainingTests {
    /// 40 "answers" of 50 tokens, 24-dimensional states; the cloud "disagrees" when
    /// x0 + x1 > 1.2 (about 20% of tokens), which a one-hidden-layer MLP can learn.
    static func synthetic(seed: UInt64) -> PairProfile {
        var generator = SplitMix64(state: seed)
        func uniform() -> Float { Float(generator.next() >> 40) / Float(1 << 24) * 2 - 1 }
        let sequences = (0..<40).map { _ in
            (0..<50).map { _ -> PairProfile.Token in
                let hidden = (0..<24).map { _ in uniform() }
                return PairProfile.Token(confidence: 0.5, agrees: hidden[0] + hidden[1] <= 0.6, hidden: hidden)
            }
        }
        return PairProfile(sequences: sequences, hiddenSize: 24)
    }

    @Test func learnsASeparableRuleAndIsReproducible() throws {
        let profile = Self.synthetic(seed: 1)
        let options = RouterTrainingOptions(hiddenSize: 16, epochs: 30, learningRate: 3e-3, seed: 5)
        var losses: [Double] = []
        let router = try TokenRouter.train(profile, device: "d", cloud: "c", options: options) { _, loss in losses.append(loss) }
        #expect(losses.count == 30)
        #expect(losses.last! < losses.first!)
        #expect(router.report.validationAUC > 0.9)
        // Confidence carries nothing here.
        #expect(abs(router.report.confidenceAUC - 0.5) < 0.01)
        let again = try TokenRouter.train(profile, device: "d", cloud: "c", options: options)
        #expect(again == router)
        // Thresholds fall as the routed share grows; a larger share catches more disagreements.
        let points = router.points.sorted { $0.share < $1.share }
        #expect(zip(points, points.dropFirst()).allSatisfy { $0.threshold >= $1.threshold && $0.disagreementsCaught <= $1.disagreementsCaught })
        #expect(router.threshold(share: 0.25) == points.first { $0.share == 0.25 }!.threshold)
    }

    @Test func saveLoadRoundTripAndBadFiles() throws {
        let router = try TokenRouter.train(Self.synthetic(seed: 2), device: "d", cloud: "c", options: RouterTrainingOptions(hiddenSize: 4, epochs: 2))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("router-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("router.json").path
        try router.save(to: path)
        #expect(try TokenRouter.load(from: path) == router)
        let hidden = Array(repeating: Float(0.1), count: 24)
        #expect(try TokenRouter.load(from: path).score(hidden) == router.score(hidden))

        // A router whose weights do not match its sizes, and a features file cut short.
        var broken = router
        broken.w1.removeLast()
        try broken.save(to: path)
        #expect(throws: CalibrationError.self) { try TokenRouter.load(from: path) }
        let features = directory.appendingPathComponent("f.bin").path
        try Self.synthetic(seed: 3).save(to: features)
        let data = try Data(contentsOf: URL(fileURLWithPath: features))
        try data.prefix(data.count - 7).write(to: URL(fileURLWithPath: features))
        #expect(throws: CalibrationError.self) { try PairProfile.load(from: features) }
        try Data("not a profile".utf8).write(to: URL(fileURLWithPath: features))
        #expect(throws: CalibrationError.self) { try PairProfile.load(from: features) }
    }

    @Test func oneClassIsAClearError() {
        let profile = PairProfile(sequences: [[.init(confidence: 1, agrees: true, hidden: [1, 2])], [.init(confidence: 1, agrees: true, hidden: [2, 1])]],
                                  hiddenSize: 2)
        #expect(throws: CalibrationError.self) { try TokenRouter.train(profile, device: "d", cloud: "c") }
        #expect(throws: CalibrationError.self) { try TokenRouter.train(PairProfile(sequences: [], hiddenSize: 0), device: "d", cloud: "c") }
    }

    @Test func aucOfKnownRankings() {
        #expect(TokenRouter.auc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]) == 1)
        #expect(TokenRouter.auc([0.9, 0.8, 0.2, 0.1], [false, false, true, true]) == 0)
        #expect(TokenRouter.auc([0.5, 0.5], [false, true]) == 0.5)
    }
}
