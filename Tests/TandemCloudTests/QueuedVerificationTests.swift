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

    @Test func theFingerprintIsStableAndOrderSensitive() {
        #expect(ContextHash.of([Int32]()) == "cbf29ce484222325")
        #expect(ContextHash.of([1, 2, 3] as [Int32]) == ContextHash.of([1, 2, 3] as [Int32]))
        #expect(ContextHash.of([1, 2, 3] as [Int32]) != ContextHash.of([3, 2, 1] as [Int32]))
        #expect(ContextHash.of([1, 2, 3] as [Int32]).count == 16)
    }
}
