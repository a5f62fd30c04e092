import AsyncHTTPClient
import Foundation
import Synchronization
import TandemProtocol

/// A cloud that keeps no sessions: an OpenAI-compatible server with vLLM's
/// `prompt_logprobs` (`/v1/completions`), or SGLang's `/generate`. The adapter keeps each
/// session's tokens itself and sends the whole context with every call, so bytes up grow
/// with the context (the price of a stateless API; the Tandem protocol sends only what is
/// new). Verification is greedy: the cloud's top token at every draft position, read from
/// the prompt's log-probabilities, and the token after the chunk, generated.
public final class StatelessVerifier: CloudVerifier {
    /// Every call sends the whole context: nothing to gain from sending tokens ahead.
    public var keepsContext: Bool { false }
    public enum API: String, Sendable, CaseIterable {
        /// `POST /v1/completions` with `prompt_logprobs` and `return_tokens_as_token_ids` (vLLM).
        case openAI = "openai"
        /// `POST /generate` with `input_ids`, `return_logprob`, `logprob_start_len` (SGLang).
        case sglang
    }

    public let baseURL: String
    public let api: API
    public let model: String?
    public let apiKey: String?
    public let timeout: Duration
    private let client: HTTPClient
    private let sessions = Mutex<[String: [Int32]]>([:])

    public init(url: String, api: API, model: String? = nil, apiKey: String? = nil, timeout: Duration = .seconds(30)) {
        baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.api = api
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        client = HTTPTransport.client()
    }

    deinit {
        try? client.syncShutdown()
    }

    public func createSession(_ request: CreateSessionRequest) async throws -> Exchange<CreateSessionResponse> {
        guard request.sampling.temperature == 0 else {
            throw VerifierError.rejected(ErrorResponse(.invalidRequest, "the \(api.rawValue) verifier checks greedy drafts only (temperature 0)"))
        }
        let id = UUID().uuidString
        sessions.withLock { $0[id] = request.context }
        return Exchange(response: CreateSessionResponse(sessionID: id, contextLength: request.context.count, maxContextLength: Int(Int32.max),
                                                        vocabularySize: 0, model: model ?? ""),
                        bytesUp: 0, bytesDown: 0)
    }

    /// The held tokens of `session` + `append`, after checking the device's view of its length.
    private func context(_ session: String, length: Int, append: [Int32]) throws -> [Int32] {
        guard let held = sessions.withLock({ $0[session] }) else {
            throw VerifierError.rejected(ErrorResponse(.sessionNotFound, "no session \(session)"))
        }
        guard held.count == length else {
            throw VerifierError.rejected(ErrorResponse(.contextMismatch, "the session holds \(held.count) tokens, not \(length)", contextLength: held.count))
        }
        return held + append
    }

    public func verify(session: String, _ request: VerifyRequest) async throws -> Exchange<VerifyResponse> {
        let context = try self.context(session, length: request.contextLength, append: request.append)
        let (prediction, up, down) = try await predict(context + request.draft, from: context.count)
        var accepted = 0
        while accepted < request.draft.count && prediction.top[accepted] == request.draft[accepted] { accepted += 1 }
        let correction = accepted < request.draft.count ? prediction.top[accepted] : nil
        let next = accepted < request.draft.count ? prediction.top[accepted] : prediction.next
        var positions = (0..<accepted).map { PositionVerdict(top: [TokenLogprob(id: prediction.top[$0], logprob: 0)], draftProbability: nil) }
        positions.append(PositionVerdict(top: [TokenLogprob(id: next, logprob: 0)], draftProbability: nil))
        let held = context + request.draft[..<accepted] + (correction.map { [$0] } ?? [])
        sessions.withLock { $0[session] = held }
        return Exchange(response: VerifyResponse(accepted: accepted, correction: correction, positions: positions, contextLength: held.count),
                        bytesUp: up, bytesDown: down)
    }

    public func generate(session: String, _ request: SessionGenerateRequest) async throws -> Exchange<SessionGenerateResponse> {
        let context = try self.context(session, length: request.contextLength, append: request.append)
        let (tokens, finish, up, down) = try await complete(context, maxTokens: request.maxTokens)
        let stops = Set(request.stopTokens ?? [])
        let kept = Array(tokens.prefix { !stops.contains($0) })
        let stopped = kept.count < tokens.count
        let held = context + kept + (stopped ? [tokens[kept.count]] : [])
        sessions.withLock { $0[session] = held }
        return Exchange(response: SessionGenerateResponse(tokens: stopped ? Array(tokens.prefix(kept.count + 1)) : kept,
                                                          finishReason: stopped ? "stop" : finish, contextLength: held.count),
                        bytesUp: up, bytesDown: down)
    }

    public func closeSession(_ session: String) async {
        _ = sessions.withLock { $0.removeValue(forKey: session) }
    }

    // MARK: - The two APIs

    /// The cloud's greedy token at every position from `from` on, and the token after all.
    private func predict(_ tokens: [Int32], from: Int) async throws -> (prediction: (top: [Int32], next: Int32), up: Int, down: Int) {
        let count = tokens.count - from
        switch api {
        case .openAI:
            var body: [String: Any] = ["prompt": tokens.map(Int.init), "max_tokens": 1, "temperature": 0, "prompt_logprobs": 1,
                                       "logprobs": 1, "return_tokens_as_token_ids": true]
            if let model { body["model"] = model }
            let (answer, up, down) = try await post("/v1/completions", body)
            guard let choice = (answer["choices"] as? [[String: Any]])?.first,
                  let promptLogprobs = choice["prompt_logprobs"] as? [Any], promptLogprobs.count == tokens.count,
                  let next = Self.openAITokens(choice["logprobs"]).first else {
                throw VerifierError.transport("the /v1/completions answer lacks prompt_logprobs or the generated token")
            }
            let top = try (from..<tokens.count).map { index -> Int32 in
                // {"<id>": {"logprob", "rank", …}, …}: the rank-1 entry is the cloud's top token.
                guard let entries = promptLogprobs[index] as? [String: Any],
                      let best = entries.first(where: { ($0.value as? [String: Any])?["rank"] as? Int == 1 }), let id = Int32(best.key) else {
                    throw VerifierError.transport("prompt_logprobs[\(index)] has no rank-1 token")
                }
                return id
            }
            return ((top, next), up, down)
        case .sglang:
            let body: [String: Any] = ["input_ids": tokens.map(Int.init), "sampling_params": ["max_new_tokens": 1, "temperature": 0],
                                       "return_logprob": true, "logprob_start_len": from, "top_logprobs_num": 1]
            let (answer, up, down) = try await post("/generate", body)
            guard let meta = answer["meta_info"] as? [String: Any], let inputTop = meta["input_top_logprobs"] as? [Any],
                  inputTop.count == count, let next = (answer["output_ids"] as? [Int])?.first else {
                throw VerifierError.transport("the /generate answer lacks input_top_logprobs or output_ids")
            }
            let top = try inputTop.enumerated().map { k, entry -> Int32 in
                // [[logprob, id, text], …], best first.
                guard let first = (entry as? [Any])?.first as? [Any], first.count >= 2, let id = first[1] as? Int else {
                    throw VerifierError.transport("input_top_logprobs[\(k)] has no token")
                }
                return Int32(id)
            }
            return ((top, Int32(next)), up, down)
        }
    }

    /// Up to `maxTokens` greedy tokens after `tokens`, and why they ended.
    private func complete(_ tokens: [Int32], maxTokens: Int) async throws -> ([Int32], String, Int, Int) {
        switch api {
        case .openAI:
            var body: [String: Any] = ["prompt": tokens.map(Int.init), "max_tokens": maxTokens, "temperature": 0, "logprobs": 1,
                                       "return_tokens_as_token_ids": true]
            if let model { body["model"] = model }
            let (answer, up, down) = try await post("/v1/completions", body)
            guard let choice = (answer["choices"] as? [[String: Any]])?.first else {
                throw VerifierError.transport("the /v1/completions answer has no choice")
            }
            return (Self.openAITokens(choice["logprobs"]), choice["finish_reason"] as? String ?? "length", up, down)
        case .sglang:
            let body: [String: Any] = ["input_ids": tokens.map(Int.init), "sampling_params": ["max_new_tokens": maxTokens, "temperature": 0]]
            let (answer, up, down) = try await post("/generate", body)
            guard let ids = answer["output_ids"] as? [Int] else { throw VerifierError.transport("the /generate answer has no output_ids") }
            let finish = ((answer["meta_info"] as? [String: Any])?["finish_reason"] as? [String: Any])?["type"] as? String
            return (ids.map { Int32($0) }, finish ?? "length", up, down)
        }
    }

    /// Token ids of OpenAI `logprobs.tokens` written as `token_id:<id>`.
    static func openAITokens(_ logprobs: Any?) -> [Int32] {
        guard let tokens = (logprobs as? [String: Any])?["tokens"] as? [String] else { return [] }
        return tokens.compactMap { $0.hasPrefix("token_id:") ? Int32($0.dropFirst("token_id:".count)) : nil }
    }

    private func post(_ path: String, _ body: [String: Any]) async throws -> ([String: Any], Int, Int) {
        let data = try JSONSerialization.data(withJSONObject: body)
        let (status, bytes) = try await HTTPTransport.post(client: client, url: baseURL + path, body: data, apiKey: apiKey, timeout: timeout)
        guard (200..<300).contains(status) else {
            if let error = try? JSONDecoder().decode(ErrorResponse.self, from: bytes) { throw VerifierError.rejected(error) }
            throw VerifierError.transport("HTTP \(status) from \(path): \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
            throw VerifierError.transport("unreadable answer to \(path)")
        }
        return (object, data.count, bytes.count)
    }
}
