import TandemCollaboration
import TandemEngine
import Testing

/// The early-exit measurement on the real pair: its figures are consistent with each other.
struct EarlyExitStudyTests {
    @Test func ratesAndComputeAreConsistent() async throws {
        let (device, cloud) = try await Pair.shared.engines()
        let prompts = try await identityPrompts.prefix(2).asyncMap { try await Pair.shared.chatPrompt($0) }
        let last = device.configuration.layerCount - 2
        let study = try await EarlyExitStudy.collect(device: device, cloud: cloud.engine, prompts: prompts, layers: [3, last], maxTokens: 16)
        #expect(study.tokenCount > 0)
        let rows = study.rows(confidences: [0.5, 0.99])
        #expect(rows.count == 4)
        let macs = EarlyExitStudy.multiplyAdds(device.configuration)
        let full = Double(device.configuration.layerCount) * macs.block + macs.head
        for row in rows {
            #expect((0...1).contains(row.exitRate) && (0...1).contains(row.agreesWithFullModel))
            // Never exiting costs one extra head; always exiting costs the blocks up to the exit and one head.
            let never = (full + macs.head) / full, always = (Double(row.layer + 1) * macs.block + macs.head) / full
            #expect(row.relativeCompute <= never + 1e-9 && row.relativeCompute >= always - 1e-9)
            #expect(row.acceptanceWithout == rows[0].acceptanceWithout)
        }
        // A stricter confidence exits less often; the block before the last agrees with the full model more than block 3.
        #expect(rows[1].exitRate <= rows[0].exitRate && rows[3].exitRate <= rows[2].exitRate)
        #expect(rows[2].agreesWithFullModel >= rows[0].agreesWithFullModel || rows[0].exitRate == 0)
    }
}
