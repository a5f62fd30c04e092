import Foundation
import Testing
import TandemCloud
import TandemEngine
import TandemProtocol

/// Verification through the service (sessions, scheduler, driver thread, batched forward)
/// against the engine run alone on the same tokens, on the real model.
@Suite(.serialized) struct VerificationTests {
    /// The engine's own verdict for `draft` after `context`.
    func reference(_ engine: Engine, context: [TokenID], draft: [TokenID], topK: Int = 3) throws -> SpeculativeAcceptance.Verdict {
        var sampler = try Sampler(parameters: .greedy)
        let rows = try referenceRows(engine, context + draft, last: draft.count + 1)
        return SpeculativeAcceptance.judge(rows: rows, draft: draft, draftProbabilities: nil, draftDistributions: nil,
                                           topK: topK, sampler: &sampler)
    }

    /// Same accepted count and correction, same top ids, and log-probabilities (top tokens) and
    /// probabilities (draft token) within `tolerance`; returns the largest gap. The cloud's engine
    /// is batch-invariant, so the default is exact equality. (Without that mode the row and the
    /// batched kernels sum in different orders: up to 0.27 in log-probability on this model for
    /// one prompt run whole vs in pieces of 9, and 0.15 for a verification of 5 tokens alone.)
    @discardableResult
    func expectSame(_ answer: VerifyResponse, _ expected: SpeculativeAcceptance.Verdict, _ label: String, tolerance: Float = 0) -> Float {
        #expect(answer.accepted == expected.accepted, "\(label): accepted")
        #expect(answer.correction == expected.correction, "\(label): correction")
        #expect(answer.positions.count == expected.positions.count, "\(label): positions")
        var gap: Float = 0
        for (got, want) in zip(answer.positions, expected.positions) {
            #expect(got.top.first?.id == want.top.first?.id, "\(label): top-1")
            for (a, b) in zip(got.top, want.top) { gap = max(gap, abs(a.logprob - b.logprob)) }
            if let a = got.draftProbability, let b = want.draftProbability { gap = max(gap, abs(a - b)) }
        }
        #expect(gap <= tolerance, "\(label): log-probability gap \(gap)")
        return gap
    }

    /// The engine alone making the calls the service makes for one session, on its own cache.
    struct Mirror {
        let engine: Engine
        let cache: KVCache

        func prefill(_ tokens: [TokenID]) throws {
            _ = try engine.forward(tokens, cache: cache, outputs: .cacheOnly)
        }

        /// Runs a verification chunk; the verdict for its last `draft.count` tokens; keeps the
        /// cache as the session does (accepted tokens only).
        func verify(_ chunk: [TokenID], draft: [TokenID]) throws -> SpeculativeAcceptance.Verdict {
            let before = cache.length
            let output = try engine.forward(chunk, cache: cache, outputs: OutputRequest(rows: .all, distribution: .fullLogProbs))
            var sampler = try Sampler(parameters: .greedy)
            let verdict = SpeculativeAcceptance.judge(rows: output.tokens.suffix(draft.count + 1).map { $0.distribution! }, draft: draft,
                                                      draftProbabilities: nil, draftDistributions: nil, topK: 3, sampler: &sampler)
            cache.truncate(to: before + chunk.count - draft.count + verdict.accepted)
            return verdict
        }
    }

    /// Exactly equal to the engine alone, both making the same calls and in one whole-context call.
    @Test func verdictEqualsTheEngineAloneOverThreeRounds() async throws {
        let engine = try await sharedEngine.value
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "t", tokenBudget: 64))
        cloud.start()
        let mirror = Mirror(engine: engine, cache: engine.makeCache())
        let context = try chatPrompt(engine, "Write a Python function that returns the sum of a list.")
        var draft = try greedyContinuation(engine, context, count: 8)
        draft[5] = draft[5] == 100 ? 101 : 100   // a wrong token: rejected at 5 (or earlier)
        let session = try cloud.createSession(CreateSessionRequest(context: context))
        #expect(session.contextLength == context.count)
        var gaps: [Float] = []

        // Round 1: the whole context is new: a prefill, then the last context token and the draft.
        let first = try await cloud.verify(session: session.sessionID, VerifyRequest(contextLength: context.count, draft: draft, topK: 3))
        try mirror.prefill(Array(context.dropLast()))
        #expect(expectSame(first, try mirror.verify([context.last!] + draft, draft: draft), "round 1, same calls") == 0)
        gaps.append(expectSame(first, try reference(engine, context: context, draft: draft), "round 1, one call"))
        #expect(first.accepted <= 5)
        var held = context + draft[..<first.accepted]
        if let correction = first.correction { held.append(correction) }
        #expect(first.contextLength == held.count)
        #expect(try cloud.sessionContext(session.sessionID) == held)

        // Round 2: the correction and committed tokens the cloud has not seen, then a draft.
        let append = try engine.tokenizer.encode(" # sum")
        let draft2 = try greedyContinuation(engine, held + append, count: 6)
        let second = try await cloud.verify(session: session.sessionID,
                                            VerifyRequest(contextLength: held.count, append: append, draft: draft2, topK: 3))
        let unseen = Array(held[mirror.cache.length...]) + append
        #expect(expectSame(second, try mirror.verify(unseen + draft2, draft: draft2), "round 2, same calls") == 0)
        gaps.append(expectSame(second, try reference(engine, context: held + append, draft: draft2), "round 2, one call"))

        // Round 3 right after a fully accepted chunk: the cache holds it all, so the last
        // token is run again for its row (a 5-token call: the engine's row kernels).
        let held2 = try cloud.sessionContext(session.sessionID)
        let draft3 = try greedyContinuation(engine, held2, count: 4)
        let third = try await cloud.verify(session: session.sessionID, VerifyRequest(contextLength: held2.count, draft: draft3, topK: 3))
        if mirror.cache.length == held2.count { mirror.cache.truncate(to: held2.count - 1) }
        let rerun = Array(held2[mirror.cache.length...])
        #expect(expectSame(third, try mirror.verify(rerun + draft3, draft: draft3), "round 3, same calls") == 0)
        gaps.append(expectSame(third, try reference(engine, context: held2, draft: draft3), "round 3, one call"))
        print("verification vs the engine alone in one call: max |Δ log p| per round \(gaps); accepted \(first.accepted)/8, \(second.accepted)/6, \(third.accepted)/4")
        await cloud.shutdown()
    }

    /// A verify with an empty draft (a sync) takes on the appended tokens and judges nothing;
    /// the next verification then sees the same context as if they had ridden with it.
    @Test func anEmptyDraftSyncsTheSessionAndJudgesNothing() async throws {
        let engine = try await sharedEngine.value
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "t", tokenBudget: 64))
        cloud.start()
        let context = try chatPrompt(engine, "Write a Python function that returns the sum of a list.")
        let continuation = try greedyContinuation(engine, context, count: 14)
        let (ahead, draft) = (Array(continuation[..<10]), Array(continuation[10...]))
        let session = try cloud.createSession(CreateSessionRequest(context: context))
        let synced = try await cloud.verify(session: session.sessionID, VerifyRequest(contextLength: context.count, append: ahead, draft: [], topK: 3))
        #expect(synced.accepted == 0 && synced.correction == nil && synced.positions.count == 1)
        #expect(synced.positions[0].top.first?.id == draft[0])   // the cloud's next token
        #expect(synced.contextLength == context.count + ahead.count)
        #expect(try cloud.sessionContext(session.sessionID) == context + ahead)
        #expect(cloud.metricsSnapshot().verifications == 0)
        let verdict = try await cloud.verify(session: session.sessionID, VerifyRequest(contextLength: synced.contextLength, draft: draft, topK: 3))
        expectSame(verdict, try reference(engine, context: context + ahead, draft: draft), "after a sync")
        #expect(verdict.accepted == draft.count)
        await cloud.shutdown()
    }

    /// A verification runs in one engine pass while its tokens (unseen context, the last held
    /// token run again for its row, the draft) fit the merge limit, the batched kernels' tile;
    /// past it, the context runs as a prefill first. A device's sync of 15 tokens after an
    /// accepted chunk is 16 tokens: one pass (two tiles of the batched kernel cost more than a
    /// prefill and a few-token pass).
    @Test func aVerificationFittingTheMergeLimitIsOnePass() async throws {
        let engine = try await sharedEngine.value
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "t", tokenBudget: 64, mergeLimit: 16))
        cloud.start()
        let context = try chatPrompt(engine, "Write a Python function that returns the sum of a list.")
        let continuation = try greedyContinuation(engine, context, count: 64)
        let session = try cloud.createSession(CreateSessionRequest(context: context))
        #expect(session.mergeLimit == 16)   // stated, so devices sync one less
        var held = context.count
        // Each call starts right after an accepted chunk, so the cache holds every token.
        func passes(append: Int, draft: Int) async throws -> Int {
            let before = cloud.metricsSnapshot().steps
            let tokens = Array(continuation[(held - context.count)...].prefix(append + draft))
            let answer = try await cloud.verify(session: session.sessionID, VerifyRequest(
                contextLength: held, append: Array(tokens[..<append]), draft: Array(tokens[append...]), topK: 1))
            #expect(answer.accepted == draft && answer.correction == nil)
            held = answer.contextLength
            return cloud.metricsSnapshot().steps - before
        }
        _ = try await passes(append: 0, draft: 2)            // the prompt's prefill, then the first chunk
        #expect(try await passes(append: 15, draft: 0) == 1)  // a sync: 1 + 15 tokens
        #expect(try await passes(append: 12, draft: 3) == 1)  // 1 + 12 + 3
        #expect(try await passes(append: 13, draft: 3) == 2)  // 17: a prefill of 13, then 1 + 3
        #expect(try await passes(append: 16, draft: 0) == 2)  // 17: a prefill of 16, then a pass for the row
        await cloud.shutdown()
    }

    @Test func concurrentSessionsPackedTogetherGetTheirOwnAnswers() async throws {
        let engine = try await sharedEngine.value
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "t", tokenBudget: 128))
        cloud.start()
        let prompts = ["Reverse a string in Python.", "What is 2 + 2?", "Name three colours.", "Sort a list in Swift."]
        var cases: [(String, [TokenID], [TokenID])] = []
        for prompt in prompts {
            let context = try chatPrompt(engine, prompt)
            var draft = try greedyContinuation(engine, context, count: 6)
            draft[3] = 42
            let session = try cloud.createSession(CreateSessionRequest(context: context))
            cases.append((session.sessionID, context, draft))
        }
        // Warm the sessions (prefill), then verify all at once so the chunks share steps.
        for (id, context, _) in cases {
            _ = try await cloud.generate(session: id, SessionGenerateRequest(contextLength: context.count, maxTokens: 1))
        }
        let answers = try await withThrowingTaskGroup(of: (Int, VerifyResponse).self) { group in
            for (index, (id, _, draft)) in cases.enumerated() {
                let length = try cloud.sessionContext(id).count
                group.addTask { (index, try await cloud.verify(session: id, VerifyRequest(contextLength: length, draft: draft, topK: 3))) }
            }
            var answers: [Int: VerifyResponse] = [:]
            for try await (index, answer) in group { answers[index] = answer }
            return answers
        }
        for (index, (id, context, draft)) in cases.enumerated() {
            _ = id
            let first = try greedyContinuation(engine, context, count: 1)
            expectSame(answers[index]!, try reference(engine, context: context + first, draft: draft), "session \(index)")
        }
        let metrics = cloud.metricsSnapshot()
        #expect(metrics.verifications == 4)
        await cloud.shutdown()
    }

    @Test func wrongContextLengthIsAMismatchAndChangesNothing() async throws {
        let engine = try await sharedEngine.value
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "t"))
        cloud.start()
        let context = try chatPrompt(engine, "Hello")
        let session = try cloud.createSession(CreateSessionRequest(context: context))
        await #expect {
            try await cloud.verify(session: session.sessionID, VerifyRequest(contextLength: context.count + 3, draft: [1, 2]))
        } throws: { error in
            (error as? ErrorResponse)?.code == .contextMismatch && (error as? ErrorResponse)?.error.contextLength == context.count
        }
        #expect(try cloud.sessionContext(session.sessionID) == context)
        await #expect { try await cloud.verify(session: "nope", VerifyRequest(contextLength: 0, draft: [1])) } throws: { error in
            (error as? ErrorResponse)?.code == .sessionNotFound
        }
        await #expect {
            try await cloud.verify(session: session.sessionID, VerifyRequest(contextLength: context.count, draft: [Int32(cloud.vocabularySize)]))
        } throws: { error in (error as? ErrorResponse)?.code == .tokenOutOfRange }
        await cloud.shutdown()
    }
}
