import TandemCollaboration
import TandemEngine
import Testing

/// DESIGN.md's lossless identities on twenty prompts with the real model pair (greedy).
@Suite(.serialized) struct LosslessIdentityTests {
    @Test func speculativeEqualsCloudTokenForToken() async throws {
        var rejections = 0
        for text in identityPrompts {
            let prompt = try await Pair.shared.chatPrompt(text)
            let cloud = try await Pair.shared.run(prompt, mode: .cloud)
            let speculative = try await Pair.shared.run(prompt, mode: .speculative)
            #expect(speculative.tokens == cloud.tokens, "\(text)")
            #expect(cloud.provenance.allSatisfy { $0 == .cloud })
            #expect(speculative.provenance.allSatisfy { $0 == .verified || $0 == .corrected })
            #expect(speculative.stats.warnings.isEmpty && cloud.stats.warnings.isEmpty)
            rejections += speculative.stats.rejections
        }
        // The pair disagrees often enough that corrections were exercised.
        #expect(rejections > 0)
    }

    @Test func tandemWithZeroBudgetEqualsDevice() async throws {
        for text in identityPrompts {
            let prompt = try await Pair.shared.chatPrompt(text)
            let device = try await Pair.shared.run(prompt, mode: .device)
            let tandem = try await Pair.shared.run(prompt, mode: .tandem, policy: OffloadPolicy(riskThreshold: 0, budget: 0))
            #expect(tandem.tokens == device.tokens, "\(text)")
            #expect(tandem.stats.offloadedTokens == 0 && tandem.stats.cloudCalls == 0)
            #expect(device.provenance.allSatisfy { $0 == .local })
        }
    }

    @Test func stallFreePipelineDoesNotChangeTheTokens() async throws {
        var offloaded = 0, rejections = 0
        let policy = OffloadPolicy(riskThreshold: 0.3, budget: 1)
        for text in identityPrompts {
            let prompt = try await Pair.shared.chatPrompt(text)
            let on = try await Pair.shared.run(prompt, mode: .tandem, policy: policy, stallFree: true)
            let off = try await Pair.shared.run(prompt, mode: .tandem, policy: policy, stallFree: false)
            #expect(on.tokens == off.tokens, "\(text)")
            #expect(on.provenance == off.provenance, "\(text)")
            #expect(on.stats.offloadedTokens == off.stats.offloadedTokens)
            offloaded += on.stats.offloadedTokens
            rejections += on.stats.rejections
        }
        #expect(offloaded > 0 && rejections > 0)
    }

    /// Chunks sent while earlier ones are in flight (over an 80 ms link, so there is time to
    /// draft them) change when verdicts arrive, not what is committed: same tokens,
    /// provenance and offload as one chunk at a time, in tandem and speculative mode.
    @Test func pipelinedChunksDoNotChangeTheTokens() async throws {
        var pipelined = 0, dropped = 0
        for (mode, policy) in [(CollaborationMode.tandem, OffloadPolicy(riskThreshold: 0.3, budget: 1)), (.speculative, OffloadPolicy())] {
            for text in identityPrompts.prefix(5) {
                let prompt = try await Pair.shared.chatPrompt(text)
                let ahead = try await Pair.shared.run(prompt, mode: mode, maxTokens: 48, policy: policy, pipelineDepth: 4,
                                                          wrap: { EmulatedLink($0, spec: LinkSpec(roundTrip: 0.08)) })
                let one = try await Pair.shared.run(prompt, mode: mode, maxTokens: 48, policy: policy, pipelineDepth: 1,
                                                        wrap: { EmulatedLink($0, spec: LinkSpec(roundTrip: 0.08)) })
                #expect(ahead.tokens == one.tokens, "\(mode) \(text)")
                #expect(ahead.provenance == one.provenance, "\(mode) \(text)")
                #expect(ahead.stats.offloadedTokens == one.stats.offloadedTokens && ahead.stats.rejections == one.stats.rejections)
                #expect(ahead.stats.warnings.isEmpty && one.stats.pipelinedCalls == 0)
                #expect(ahead.stats.cloudCalls == one.stats.cloudCalls + ahead.stats.droppedCalls)
                pipelined += ahead.stats.pipelinedCalls
                dropped += ahead.stats.droppedCalls
            }
        }
        // Bets were placed, and some lost (a rejection before them).
        #expect(pipelined > 0 && dropped > 0)
    }

    /// Committed tokens sent ahead (syncs) move work off the verification's critical path and
    /// change nothing else: same tokens, provenance, offload and cloud calls.
    /// A chunk opened while a sync is in flight goes at once, queued behind it.
    @Test func sendingCommittedTokensAheadDoesNotChangeTheTokens() async throws {
        var syncs = 0, queuedBehindSync = 0
        let policy = OffloadPolicy(riskThreshold: 0.3, budget: 1)
        for text in identityPrompts.prefix(6) {
            let prompt = try await Pair.shared.chatPrompt(text)
            // One chunk at a time: pipelined calls would make the counts depend on timing.
            let (ahead, recorder) = try await Pair.shared.runRecorded(prompt, maxTokens: 64, policy: policy, syncThreshold: 4)
            // Queued with no pipelining: only behind a sync.
            queuedBehindSync += recorder.verifications.filter { $0.queue && !$0.draft.isEmpty && $0.nextToken == nil }.count
            let not = try await Pair.shared.run(prompt, mode: .tandem, maxTokens: 64, policy: policy, syncThreshold: 0, pipelineDepth: 1)
            #expect(ahead.tokens == not.tokens, "\(text)")
            #expect(ahead.provenance == not.provenance, "\(text)")
            #expect(ahead.stats.offloadedTokens == not.stats.offloadedTokens && ahead.stats.cloudCalls == not.stats.cloudCalls)
            // The same tokens go up, plus at most the committed tail after the last chunk,
            // which a sync sends without knowing no chunk follows.
            #expect(ahead.stats.uploadedTokens >= not.stats.uploadedTokens)
            #expect(ahead.stats.uploadedTokens <= not.stats.uploadedTokens + ahead.tokens.count)
            #expect(not.stats.syncCalls == 0 && ahead.stats.warnings.isEmpty)
            syncs += ahead.stats.syncCalls
        }
        #expect(syncs > 0 && queuedBehindSync > 0, "\(syncs) syncs, \(queuedBehindSync) chunks queued behind one")
    }
}
