import Foundation
import TandemCloud
import TandemEngine
import TandemProtocol
import Testing

/// Verifications sent while an earlier one of the same session is in flight (`queue`), and
/// the bets they state (`context_hash`, `next_token`).
@Suite struct QueuedVerificationTests {
    /// A chunk, the free token after it and a second chunk, from the engine's greedy
    /// continuation (so the first chunk is accepted whole).
    func setUp(_ cloud: CloudService, _ engine: Engine) throws -> (id: String, context: [TokenID], first: [TokenID], next: TokenID, second: [TokenID]) {
        let context = try chatPrompt(engine, "Write a Python function that returns the largest element of a list.")
        let continuation = try greedyContinuation(engine, context, count: 9)
        let session = try cloud.createSession(CreateSessionRequest(context: context))
        return (session.sessionID, context, Array(continuation[0..<4]), continuation[4], Array(continuation[5..<9]))
    }

    /// Sent together (in either order of arrival), the queued second chunk waits for the
    /// first instead of failing with `session_busy`, and its verdict equals the one it gets
    /// when sent after the first answer.
    @Test func aQueuedChunkWaitsItsTurnAndGetsTheSequentialVerdict() async throws {
        let engine = try await sharedEngine.value
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "t"))
        cloud.start()
        let (id, context, first, next, second) = try setUp(cloud, engine)
        let held = context + first
        let queued = VerifyRequest(contextLength: held.count, append: [next], draft: second, queue: true,
                                   contextHash: ContextHash.of(held), nextToken: next)
        async let a = cloud.verify(session: id, VerifyRequest(contextLength: context.count, draft: first))
        try await Task.sleep(for: .milliseconds(5))
        async let b = cloud.verify(session: id, queued)
        let (answerA, answerB) = try await (a, b)
        #expect(answerA.accepted == 4 && answerA.correction == nil && answerA.positions.last?.top.first?.id == next)
        #expect(answerB.accepted == 4 && answerB.contextLength == held.count + 1 + 4)
        #expect(try cloud.sessionContext(id) == held + [next] + second)
        // The same second chunk on a fresh session, sent after the first answer.
        let (id2, _, _, _, _) = try setUp(cloud, engine)
        _ = try await cloud.verify(session: id2, VerifyRequest(contextLength: context.count, draft: first))
        let sequential = try await cloud.verify(session: id2, VerifyRequest(contextLength: held.count, append: [next], draft: second))
        #expect(sequential == answerB)
        await cloud.shutdown()
    }

    /// A lost bet is refused unread and changes nothing: other tokens of the same count
    /// (`context_hash`), or a first chunk that was not accepted whole (`next_token`).
    @Test func aLostBetIsAMismatchAndChangesNothing() async throws {
        let engine = try await sharedEngine.value
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "t"))
        cloud.start()
        let (id, context, first, next, second) = try setUp(cloud, engine)
        var wrong = first
        wrong[2] = wrong[2] == 42 ? 43 : 42
        // The first chunk is rejected at index 2: the session holds context + 2 + correction,
        // as many tokens as the bet on `wrong` accepted up to index 2 plus one.
        let rejected = try await cloud.verify(session: id, VerifyRequest(contextLength: context.count, draft: wrong))
        #expect(rejected.accepted == 2 && rejected.correction == first[2])
        let betOn = context + wrong[..<3]
        await #expect {
            try await cloud.verify(session: id, VerifyRequest(contextLength: betOn.count, append: [wrong[3]], draft: [next], queue: true,
                                                              contextHash: ContextHash.of(betOn)))
        } throws: { ($0 as? ErrorResponse)?.code == .contextMismatch }
        #expect(try cloud.sessionContext(id) == context + first[..<3])
        // The right context but a free token the cloud did not predict (its last verdict
        // was a rejection, so it predicted none).
        let held = context + first[..<3]
        await #expect {
            try await cloud.verify(session: id, VerifyRequest(contextLength: held.count, append: [first[3]], draft: [next], queue: true,
                                                              contextHash: ContextHash.of(held), nextToken: first[3]))
        } throws: { ($0 as? ErrorResponse)?.code == .contextMismatch }
        // After a whole acceptance the prediction holds, and only for that token.
        let accepted = try await cloud.verify(session: id, VerifyRequest(contextLength: held.count, draft: [first[3]]))
        #expect(accepted.accepted == 1)
        let now = context + first
        try #require(second[0] != next)
        await #expect {
            try await cloud.verify(session: id, VerifyRequest(contextLength: now.count, append: [second[0]], draft: [second[1]],
                                                              queue: true, nextToken: second[0]))
        } throws: { ($0 as? ErrorResponse)?.code == .contextMismatch }
        let good = try await cloud.verify(session: id, VerifyRequest(contextLength: now.count, append: [next], draft: second, queue: true,
                                                                     contextHash: ContextHash.of(now), nextToken: next))
        #expect(good.accepted == 4)
        await #expect {
            try await cloud.verify(session: id, VerifyRequest(contextLength: good.contextLength, append: [1], draft: [2], nextToken: 3))
        } throws: { ($0 as? ErrorResponse)?.code == .invalidRequest }
        await cloud.shutdown()
    }

    /// Two chunks queued behind a busy session, each betting on the one before it, are served
    /// in turn with the verdicts they get one at a time; a rejection refuses what bet on it
    /// and leaves the session where the rejection put it.
    @Test(arguments: [false, true])
    func queuedChunksBehindABusySessionAreServedInTurn(rejectMiddle: Bool) async throws {
        let engine = try await sharedEngine.value
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "t"))
        cloud.start()
        let context = try chatPrompt(engine, "Write a Python class for a bank account with deposit and withdraw methods.")
        let text = try greedyContinuation(engine, context, count: 74)
        var middle = Array(text[65..<69])
        if rejectMiddle { middle[1] = middle[1] == 42 ? 43 : 42 }
        // The first call makes the session busy for a while: 60 context tokens, then a chunk.
        let first = VerifyRequest(contextLength: context.count, append: Array(text[..<60]), draft: Array(text[60..<64]))
        let held1 = context + text[..<64]
        let second = VerifyRequest(contextLength: held1.count, append: [text[64]], draft: middle, queue: true,
                                   contextHash: ContextHash.of(held1), nextToken: text[64])
        let held2 = held1 + [text[64]] + middle
        let third = VerifyRequest(contextLength: held2.count, append: [text[69]], draft: Array(text[70..<74]), queue: true,
                                  contextHash: ContextHash.of(held2), nextToken: text[69])

        let id = try cloud.createSession(CreateSessionRequest(context: context)).sessionID
        async let a = cloud.verify(session: id, first)
        async let b = cloud.verify(session: id, second)
        let c = Task { () -> Result<VerifyResponse, any Error> in
            do { return .success(try await cloud.verify(session: id, third)) } catch { return .failure(error) }
        }
        let (answerA, answerB) = try await (a, b)
        if rejectMiddle {
            // The third chunk's bet is lost, but its stated context is still ahead of the
            // session: it waits until the session moves past it.
            let now = try cloud.sessionContext(id)
            _ = try await cloud.verify(session: id, VerifyRequest(contextLength: now.count, append: Array(text[67..<72]), draft: []))
        }
        let answerC = await c.value

        // The same calls one at a time on a fresh session.
        let alone = try cloud.createSession(CreateSessionRequest(context: context)).sessionID
        #expect(try await cloud.verify(session: alone, first) == answerA)
        var sequential = second
        sequential.queue = false
        #expect(try await cloud.verify(session: alone, sequential) == answerB)
        if rejectMiddle {
            #expect(answerB.accepted == 1 && answerB.correction == text[66])
            guard case .failure(let error) = answerC else { Issue.record("the chunk that bet on a rejected one was verified"); return }
            #expect((error as? ErrorResponse)?.code == .contextMismatch)
            #expect(try cloud.sessionContext(id) == held1 + text[64..<72])
        } else {
            var last = third
            last.queue = false
            #expect(try await cloud.verify(session: alone, last) == (try answerC.get()))
            #expect(try cloud.sessionContext(id) == context + text[..<74])
        }
        if !rejectMiddle { #expect(try cloud.sessionContext(id) == (try cloud.sessionContext(alone))) }
        await cloud.shutdown()
    }

    @Test func theFingerprintIsStableAndOrderSensitive() {
        #expect(ContextHash.of([Int32]()) == "cbf29ce484222325")
        #expect(ContextHash.of([1, 2, 3] as [Int32]) == ContextHash.of([1, 2, 3] as [Int32]))
        #expect(ContextHash.of([1, 2, 3] as [Int32]) != ContextHash.of([3, 2, 1] as [Int32]))
        #expect(ContextHash.of([1, 2, 3] as [Int32]).count == 16)
    }
}
