import Foundation
import TandemEngine
import Testing

/// The generation stream: stop strings, length limits, context limits and cancellation.
@Suite(.serialized) struct GenerationStreamTests {
    func prompt(_ engine: Engine) throws -> [TokenID] {
        try engine.tokenizer.encode("1, 2, 3, 4, 5, 6, 7, 8, 9, 10,")
    }

    func collect(_ stream: AsyncThrowingStream<GenerationEvent, Error>) async throws -> (text: String, tokens: [TokenID], reason: FinishReason?) {
        var text = "", tokens: [TokenID] = [], reason: FinishReason?
        for try await event in stream {
            switch event {
            case .token(let id): tokens.append(id)
            case .text(let piece): text += piece
            case .finished(let why, _): reason = why
            }
        }
        return (text, tokens, reason)
    }

    @Test func stopsAtTheLengthLimitAndStreamsTheDecodedText() async throws {
        let engine = try await EngineCache.shared.engine(.smollm)
        let result = try await collect(engine.generate(GenerationRequest(prompt: try prompt(engine), maxTokens: 12)))
        #expect(result.reason == .length)
        #expect(result.tokens.count == 12)
        #expect(result.text == (try engine.tokenizer.decode(result.tokens)))
    }

    @Test func stopStringEndsGenerationAndIsNotEmitted() async throws {
        let engine = try await EngineCache.shared.engine(.smollm)
        let free = try await collect(engine.generate(GenerationRequest(prompt: try prompt(engine), maxTokens: 16)))
        let stop = try #require(free.text.split(separator: ",").dropFirst(2).first.map { String($0) + "," })
        let stopped = try await collect(engine.generate(GenerationRequest(prompt: try prompt(engine), maxTokens: 16, stopStrings: [stop])))
        #expect(stopped.reason == .stopString)
        #expect(!stopped.text.contains(stop))
        #expect(free.text.hasPrefix(stopped.text))
    }

    @Test func contextLimitFinishesWithContextFull() async throws {
        let engine = try await EngineCache.shared.engine(.smollm)
        let tokens = try prompt(engine)
        let cache = engine.makeCache(maxLength: tokens.count + 3)
        let result = try await collect(engine.generate(GenerationRequest(prompt: tokens, maxTokens: 50), cache: cache))
        #expect(result.reason == .contextFull)
        #expect(cache.length == tokens.count + 3)
    }

    @Test func cancellingTheConsumerStopsGenerationPromptly() async throws {
        let engine = try await EngineCache.shared.engine(.smollm)
        let request = GenerationRequest(prompt: try prompt(engine), maxTokens: 100_000)
        let cache = engine.makeCache()
        let consumer = Task {
            var count = 0
            for try await event in engine.generate(request, cache: cache) {
                if case .token = event { count += 1 }
            }
            return count
        }
        try await Task.sleep(for: .milliseconds(300))
        consumer.cancel()
        let clock = ContinuousClock()
        let cancelledAt = clock.now
        _ = try? await consumer.value
        // No hang. (Not a tight bound: under the parallel suite the consumer's resumption waits
        // for a free cooperative thread, 3 s was seen; that the producer stops is checked below.)
        #expect(clock.now - cancelledAt < .seconds(30))
        // The producer stops too: the cache stops growing.
        try await Task.sleep(for: .milliseconds(200))
        let length = cache.length
        try await Task.sleep(for: .milliseconds(300))
        #expect(cache.length == length)
        #expect(length < 100_000)
    }

    @Test func invalidRequestsEndTheStreamWithAnError() async throws {
        let engine = try await EngineCache.shared.engine(.smollm)
        await #expect(throws: EngineError.self) { _ = try await collect(engine.generate(GenerationRequest(prompt: []))) }
        await #expect(throws: (any Error).self) {
            _ = try await collect(engine.generate(GenerationRequest(prompt: [1], sampling: SamplingParameters(temperature: -1))))
        }
        await #expect(throws: EngineError.self) { _ = try await collect(engine.generate(GenerationRequest(prompt: [999_999]))) }
    }
}
