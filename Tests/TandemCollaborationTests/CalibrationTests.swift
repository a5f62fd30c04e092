import Foundation
import TandemCollaboration
import Testing

@Suite struct CalibrationTests {
    /// Synthetic profile: low-confidence tokens disagree with the cloud, confident ones agree.
    let sequences: [[(confidence: Float, agrees: Bool)]] = (0..<20).map { s in
        (0..<50).map { i in
            let confidence: Float = (i + s) % 10 == 0 ? 0.3 : 0.95
            return (confidence, confidence > 0.5)
        }
    }

    @Test func thresholdsKeepEachBudgetAndCatchDisagreements() throws {
        let calibration = Calibration.fit(device: "d", cloud: "c", sequences: sequences, chunkSize: 4, budgets: [0, 0.1, 0.5, 1])
        #expect(calibration.tokens == 1000)
        #expect(abs(calibration.agreement - 0.9) < 1e-9)
        for point in calibration.points { #expect(point.offloadShare <= point.budget + 1e-9) }
        let half = try #require(calibration.points.first { $0.budget == 0.5 })
        // Every 10th token is risky and alone: chunks of one cover 10% of tokens and every
        // disagreement.
        #expect(abs(half.offloadShare - 0.1) < 1e-9)
        #expect(half.disagreementsCaught == 1)
        #expect(calibration.points.first { $0.budget == 0 }!.offloadShare == 0)
        // Acceptance by bucket follows the data.
        #expect(calibration.buckets.first { $0.lower <= 0.3 && 0.3 < $0.upper }!.acceptance == 0)
        #expect(calibration.buckets.first { $0.lower <= 0.95 && 0.95 < $0.upper }!.acceptance == 1)
    }

    @Test func policyForABudgetUsesTheCalibratedThresholdAndRoundTripsThroughAFile() throws {
        let calibration = Calibration.fit(device: "d", cloud: "c", sequences: sequences, chunkSize: 4, budgets: [0.1, 0.5])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("calibration-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try calibration.save(to: path)
        let loaded = try Calibration.load(from: path)
        #expect(loaded == calibration)
        let policy = loaded.policy(budget: 0.5)
        #expect(policy.budget == 0.5)
        #expect(policy.isRisky(TokenSignals(confidence: 0.3, entropy: 1, margin: 0.1)))
        #expect(!policy.isRisky(TokenSignals(confidence: 0.95, entropy: 0.1, margin: 0.9)))
        #expect(throws: CalibrationError.self) { try Calibration.load(from: "/nonexistent/calibration.json") }
    }

    /// The budget's bucket lets an answer open with a burst of chunks, then holds it to its share.
    @Test func theBudgetLetsAnAnswerRunAheadByItsBurstAndNoFurther() {
        func chunksAtTheStart(_ policy: OffloadPolicy) -> Int {
            var offloaded = 0
            while policy.allows(chunk: 4, offloaded: offloaded, generated: offloaded) { offloaded += 4 }
            return offloaded / 4
        }
        // Every token risky from the first: 0.75 × (o + 4) ≤ 32 lets ten chunks through.
        #expect(chunksAtTheStart(OffloadPolicy(riskThreshold: 0.5, budget: 0.25, burst: 32)) == 10)
        #expect(chunksAtTheStart(OffloadPolicy(riskThreshold: 0.5, budget: 0.25, burst: 0)) == 1)  // a chunk always fits
        let policy = OffloadPolicy(riskThreshold: 0.5, budget: 0.25, burst: 32)
        #expect(policy.allows(chunk: 4, offloaded: 250, generated: 1000))
        #expect(!policy.allows(chunk: 4, offloaded: 280, generated: 1000))
        #expect(!OffloadPolicy(riskThreshold: 0, budget: 0).allows(chunk: 4, offloaded: 0, generated: 100))
        #expect(OffloadPolicy.everything.allows(chunk: 4, offloaded: 10_000, generated: 0))
    }

    /// The fit simulates the decoder's cap: when the risky tokens crowd an answer's opening, a
    /// shallow bucket turns them away and the calibration says so.
    @Test func calibrationCountsTheDisagreementsTheCapTurnsAway() throws {
        let frontLoaded: [[(confidence: Float, agrees: Bool)]] = (0..<20).map { _ in
            (0..<100).map { i in i < 30 ? (0.3, false) : (0.99, true) }
        }
        let deep = try #require(Calibration.fit(device: "d", cloud: "c", sequences: frontLoaded, chunkSize: 4,
                                                budgets: [0.35], burst: 32).points.first)
        let shallow = try #require(Calibration.fit(device: "d", cloud: "c", sequences: frontLoaded, chunkSize: 4,
                                                   budgets: [0.35], burst: 4).points.first)
        #expect(deep.disagreementsCaught == 1 && abs(deep.offloadShare - 0.3) < 1e-9)
        #expect(shallow.disagreementsCaught < 0.5 && shallow.offloadShare <= 0.35)
        let fitted = Calibration.fit(device: "d", cloud: "c", sequences: frontLoaded, chunkSize: 4, budgets: [0.35], burst: 4)
        #expect(fitted.burst == 4 && fitted.policy(budget: 0.35).burst == 4)
    }

    /// A chunk is the run of risky tokens its first token starts, at most the chunk size.
    @Test func aChunkTakesTheRiskyRunItStarts() {
        let policy = OffloadPolicy(riskThreshold: 0.5, budget: 1)
        func run(_ risks: [Float], max: Int = 4) -> (Int, Bool) {
            let r = policy.chunkRun(maxLength: max, known: risks.count) { risks[$0] }
            return (r.length, r.closed)
        }
        #expect(run([0.9, 0.1, 0.9]) == (1, true))          // a safe token ends it
        #expect(run([0.9, 0.8, 0.6, 0.2]) == (3, true))
        #expect(run([0.9, 0.8]) == (2, false))              // may still grow
        #expect(run([0.9, 0.8, 0.7, 0.6, 0.9]) == (4, true)) // bounded
        #expect(run([0.9, 0.8], max: 1) == (1, true))
        #expect(run([]) == (0, false))
        #expect(OffloadPolicy.everything.chunkRun(maxLength: 4, known: 9) { _ in 0 } == (4, true))
    }

    @Test func theDefaultDeviceShipsWithACalibration() throws {
        let shipped = try #require(Calibration.shipped(device: "qwen2.5-coder-0.5b-instruct"))
        #expect(shipped.tokens > 10_000 && shipped.chunkSize == 4)
        let points = shipped.points.sorted { $0.budget < $1.budget }
        #expect(points.count >= 5)
        // More budget, a lower threshold, more tokens offloaded and more disagreements caught.
        for (a, b) in zip(points, points.dropFirst()) {
            #expect(a.riskThreshold >= b.riskThreshold && a.offloadShare <= b.offloadShare && a.disagreementsCaught <= b.disagreementsCaught)
        }
        #expect(Calibration.shipped(device: "some-other-model") == nil)
    }

    @Test func linkSpecParsesAndRejects() throws {
        let spec = try LinkSpec(parsing: "rtt=80ms,jitter=10ms,up=20mbit,down=50mbit,loss=0.01")
        #expect(spec.roundTrip == 0.08 && spec.jitter == 0.01 && spec.upBitsPerSecond == 20e6 && spec.downBitsPerSecond == 50e6)
        #expect(spec.loss == 0.01)
        for bad in ["rtt=80", "rtt=-5ms", "loss=1", "speed=3mbit", "up=fast", "rtt"] {
            #expect(throws: LinkSpec.ParseError.self, "\(bad)") { try LinkSpec(parsing: bad) }
        }
    }
}
