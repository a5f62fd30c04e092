import Foundation
import TandemCloud
import TandemEngine
import TandemProtocol
import TandemTokenizer

/// One OpenAI-style generation: the request for the cloud, and the text made of its tokens.
struct GenerationRun {
    let cloud: CloudService
    let request: CloudGenerationRequest
    let stopStrings: [String]

    /// What a finished run produced.
    struct Outcome {
        var tokens: [GeneratedToken] = []
        var text = ""
        var finishReason = "length"
        var promptScores: [PromptTokenLogprob] = []
    }

    /// Starts the work now (so refusals surface before any response is sent).
    func start() throws -> CloudGeneration {
        try cloud.generate(request)
    }

    /// Runs to the end; each text delta (and the tokens it came from) goes to `onDelta`.
    /// Leaving early (a stop string, or `onDelta` throwing because the client left) cancels
    /// the cloud's work.
    func collect(_ stream: CloudGeneration,
                 onDelta: (String, [GeneratedToken]) async throws -> Void = { _, _ in }) async throws -> Outcome {
        defer { stream.cancel() }   // a stop string, a client gone: the cloud stops at once
        var outcome = Outcome()
        var collector = try TextCollector(tokenizer: cloud.engine.tokenizer, stopStrings: stopStrings)
        var pending: [GeneratedToken] = []
        loop: for try await event in stream {
            switch event {
            case .promptLogprobs(let scores):
                outcome.promptScores += scores
            case .token(let token):
                outcome.tokens.append(token)
                pending.append(token)
                let delta = try collector.append(token.id)
                if collector.stopped {
                    outcome.finishReason = "stop"
                    try await onDelta(delta, pending)
                    break loop
                }
                if !delta.isEmpty {
                    try await onDelta(delta, pending)
                    pending = []
                }
            case .finished(let reason):
                outcome.finishReason = reason == .stop ? "stop" : "length"
                let tail = collector.finish()
                if collector.stopped { outcome.finishReason = "stop" }
                if !tail.isEmpty || !pending.isEmpty { try await onDelta(tail, pending) }
            }
        }
        outcome.text = collector.text
        return outcome
    }
}

/// Shared request checks of the OpenAI-style routes.
enum RequestChecks {
    static func sampling(temperature: Float?, topP: Float?, topK: Int?, seed: UInt64?) throws -> SamplingParameters {
        let temperature = temperature ?? 1
        guard temperature.isFinite, (0...2).contains(temperature) else {
            throw ErrorResponse(.invalidRequest, "temperature must be in [0, 2]", param: "temperature")
        }
        let topP = topP ?? 1
        guard topP > 0, topP <= 1 else { throw ErrorResponse(.invalidRequest, "top_p must be in (0, 1]", param: "top_p") }
        let topK = topK ?? 0
        guard topK >= -1 else { throw ErrorResponse(.invalidRequest, "top_k must be -1, 0 (off) or positive", param: "top_k") }
        return SamplingParameters(temperature: temperature, topK: max(topK, 0), topP: topP, seed: seed ?? UInt64.random(in: .min ... .max))
    }

    static func count(_ value: Int?, _ param: String, max: Int = TandemAPI.maxTopK) throws -> Int? {
        guard let value else { return nil }
        guard (0...max).contains(value) else { throw ErrorResponse(.invalidRequest, "\(param) must be in 0...\(max)", param: param) }
        return value
    }

    static func maxTokens(_ value: Int?, _ param: String) throws -> Int? {
        guard let value else { return nil }
        guard value >= 0 else { throw ErrorResponse(.invalidRequest, "\(param) must not be negative", param: param) }
        return value
    }

    static func single(_ n: Int?) throws {
        guard (n ?? 1) == 1 else { throw ErrorResponse(.invalidRequest, "only n = 1 is supported", param: "n") }
    }

    static func model(_ name: String?, served: String) throws {
        if let name, name != served {
            throw ErrorResponse(.notFound, "The model `\(name)` does not exist (this server serves `\(served)`)", param: "model")
        }
    }
}

enum Identifiers {
    static func make(_ prefix: String) -> String { prefix + String(format: "%016llx", UInt64.random(in: .min ... .max)) }
    static var now: Int { Int(Date().timeIntervalSince1970) }
}
