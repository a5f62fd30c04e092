import Foundation
import Testing
import TandemCloud
import TandemEngine
import TandemProtocol

/// Sessions (eviction, limits) and generation through the service, on the real model.
@Suite(.serialized) struct SessionAndGenerationTests {
    @Test func theLeastRecentlyUsedSessionMakesRoomForANewOne() async throws {
        let engine = try await sharedEngine.value
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "t", maxSessions: 2))
        cloud.start()
        let a = try cloud.createSession(CreateSessionRequest(context: [1, 2, 3]))
        let b = try cloud.createSession(CreateSessionRequest(context: [4, 5]))
        _ = try cloud.sessionContext(a.sessionID)   // a is now more recent than b
        let c = try cloud.createSession(CreateSessionRequest(context: [6]))
        #expect(cloud.sessionCount == 2)
        #expect(throws: ErrorResponse.self) { try cloud.sessionContext(b.sessionID) }
        do {
            _ = try await cloud.verify(session: b.sessionID, VerifyRequest(contextLength: 2, draft: [7]))
            Issue.record("an evicted session answered")
        } catch let error as ErrorResponse {
            #expect(error.code == .sessionEvicted)
        }
        #expect(try cloud.sessionContext(a.sessionID) == [1, 2, 3])
        #expect(try cloud.sessionContext(c.sessionID) == [6])
        #expect(cloud.metricsSnapshot().evictions == 1)
        _ = try cloud.closeSession(c.sessionID)
        #expect(throws: ErrorResponse(.sessionNotFound, "no session \(c.sessionID)")) { try cloud.sessionContext(c.sessionID) }
        await cloud.shutdown()
    }

    @Test func idleSessionsAreEvictedWhenKVMemoryRunsOut() async throws {
        let engine = try await sharedEngine.value
        let c = engine.configuration
        let oneCache = 2 * c.layerCount * 256 * c.kvDim * 4   // a cache's first allocation: 256 positions
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "t", kvMemoryBytes: oneCache + oneCache / 2))
        cloud.start()
        let context = try chatPrompt(engine, "Hi")
        let a = try cloud.createSession(CreateSessionRequest(context: context))
        _ = try await cloud.verify(session: a.sessionID, VerifyRequest(contextLength: context.count, draft: [9]))
        #expect(cloud.kvBytes == oneCache)
        let b = try cloud.createSession(CreateSessionRequest(context: context))
        _ = try await cloud.verify(session: b.sessionID, VerifyRequest(contextLength: context.count, draft: [9]))
        #expect(cloud.sessionCount == 1)
        #expect(cloud.kvBytes == oneCache)
        #expect(throws: ErrorResponse.self) { try cloud.sessionContext(a.sessionID) }
        #expect(!(try cloud.sessionContext(b.sessionID)).isEmpty)
        #expect(cloud.metricsSnapshot().evictions == 1)
        #expect(cloud.prometheusText().contains("tandem_evictions_total 1\n"))
        await cloud.shutdown()
    }

    @Test func generationEqualsTheEngineAlone() async throws {
        let engine = try await sharedEngine.value
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "t", tokenBudget: 64))
        cloud.start()
        let prompt = try chatPrompt(engine, "Count from one to five.")
        let expected = try greedyContinuation(engine, prompt, count: 12)
        var tokens: [TokenID] = []
        var finish: CloudFinishReason?
        for try await event in try cloud.generate(CloudGenerationRequest(prompt: prompt, maxTokens: 12)) {
            switch event {
            case .token(let token): tokens.append(token.id)
            case .promptLogprobs: Issue.record("prompt log-probabilities nobody asked for")
            case .finished(let reason): finish = reason
            }
        }
        #expect(tokens == Array(expected.prefix(tokens.count)))
        #expect(finish == (tokens.count == 12 ? .length : .stop))
        await cloud.shutdown()
    }

    /// Scored prompts run in pieces of at most `maxRowsPerPiece` rows; the numbers equal the
    /// engine alone making the same calls.
    @Test func promptLogprobsEqualTheEngineAloneInTheSamePieces() async throws {
        let engine = try await sharedEngine.value
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "t", tokenBudget: 16, maxRowsPerPiece: 8))
        cloud.start()
        let prompt = try chatPrompt(engine, "Count from one to five.")
        var scores: [PromptTokenLogprob] = []
        var tokens: [TokenID] = []
        for try await event in try cloud.generate(CloudGenerationRequest(prompt: prompt, maxTokens: 4, promptLogprobsFrom: 1, promptTopK: 2)) {
            switch event {
            case .token(let token): tokens.append(token.id)
            case .promptLogprobs(let piece): scores += piece
            case .finished: break
            }
        }
        #expect(scores.map(\.index) == Array(1..<prompt.count))
        let cache = engine.makeCache()
        var rows: [[Float]] = []
        for start in stride(from: 0, to: prompt.count, by: 8) {
            let piece = Array(prompt[start..<min(start + 8, prompt.count)])
            rows += try engine.forward(piece, cache: cache, outputs: OutputRequest(rows: .all, distribution: .fullLogProbs)).tokens.map { $0.distribution! }
        }
        for score in scores {
            #expect(score.token == prompt[score.index])
            #expect(score.logprob == rows[score.index - 1][Int(score.token)], "prompt token \(score.index)")
            #expect(score.top.count == 2)
        }
        var expected: [TokenID] = []
        var row = rows.last!
        for _ in 0..<4 {
            let next = row.withUnsafeBufferPointer { Sampler.argmax(logits: $0) }
            expected.append(next)
            row = try engine.forward([next], cache: cache, outputs: OutputRequest(rows: .last, distribution: .fullLogProbs)).tokens[0].distribution!
        }
        #expect(tokens == Array(expected.prefix(tokens.count)))
        await cloud.shutdown()
    }

    @Test func sessionGenerateExtendsTheContext() async throws {
        let engine = try await sharedEngine.value
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "t"))
        cloud.start()
        let prompt = try chatPrompt(engine, "Say hello.")
        let session = try cloud.createSession(CreateSessionRequest(context: Array(prompt.dropLast(2))))
        let answer = try await cloud.generate(session: session.sessionID,
                                              SessionGenerateRequest(contextLength: prompt.count - 2, append: Array(prompt.suffix(2)), maxTokens: 6))
        let expected = try greedyContinuation(engine, prompt, count: 6)
        #expect(answer.tokens == Array(expected.prefix(answer.tokens.count)))
        #expect(answer.contextLength == prompt.count + answer.tokens.count)
        #expect(try cloud.sessionContext(session.sessionID) == prompt + answer.tokens)
        await cloud.shutdown()
    }

    @Test func aFullQueueIsRefusedAndDroppedStreamsCancelTheirWork() async throws {
        let engine = try await sharedEngine.value
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "t", maxQueue: 2))
        cloud.start()
        let prompt = try chatPrompt(engine, "Write a long story.")
        var first: CloudGeneration? = try cloud.generate(
            CloudGenerationRequest(prompt: prompt, maxTokens: 500))
        var second: CloudGeneration? = try cloud.generate(
            CloudGenerationRequest(prompt: prompt, maxTokens: 500))
        #expect(throws: ErrorResponse.self) { try cloud.generate(CloudGenerationRequest(prompt: prompt, maxTokens: 5)) }
        var received = 0
        for try await event in first! {
            if case .token = event { received += 1 }
            if received == 2 { break }
        }
        first = nil
        second = nil
        var waited = 0
        while cloud.prometheusText().contains("tandem_queue_depth 0\n") == false && waited < 200 {
            try await Task.sleep(for: .milliseconds(20))
            waited += 1
        }
        #expect(cloud.prometheusText().contains("tandem_queue_depth 0\n"))
        #expect(cloud.metricsSnapshot().generatedTokens < 100)
        _ = second
        await cloud.shutdown()
        #expect(throws: ErrorResponse.self) { try cloud.createSession(CreateSessionRequest()) }
    }
}
