import Hummingbird
import TandemCloud
import TandemEngine
import TandemProtocol
import TandemTokenizer

/// `POST /v1/chat/completions`: the messages in the model's chat template (ChatML).
struct ChatRoute {
    let cloud: CloudService
    let limits: ServerConfiguration
    var tokenizer: Tokenizer { cloud.engine.tokenizer }

    func handle(_ request: Request) async throws -> Response {
        let body = try await decodeBody(ChatCompletionRequest.self, from: request, limit: limits.maxBodyBytes)
        try RequestChecks.model(body.model, served: cloud.configuration.modelName)
        try RequestChecks.single(body.n)
        guard !body.messages.isEmpty else { throw ErrorResponse(.invalidRequest, "messages is empty", param: "messages") }
        let messages = try body.messages.map { message in
            guard let role = ChatMessage.Role(rawValue: message.role) else {
                throw ErrorResponse(.invalidRequest, "unsupported role '\(message.role)' (system, user, assistant)", param: "messages")
            }
            return ChatMessage(role: role, content: message.content?.text ?? "")
        }
        let prompt = try tokenizer.encode(ChatTemplate.chatML.render(messages, addGenerationPrompt: true), parseSpecial: true)
        let topLogprobs = try RequestChecks.count(body.topLogprobs, "top_logprobs")
        let wantsLogprobs = body.logprobs ?? false
        let maxTokens = try RequestChecks.maxTokens(body.maxCompletionTokens, "max_completion_tokens")
            ?? RequestChecks.maxTokens(body.maxTokens, "max_tokens") ?? Int.max
        let generation = CloudGenerationRequest(
            prompt: prompt, maxTokens: maxTokens,
            sampling: try RequestChecks.sampling(temperature: body.temperature, topP: body.topP, topK: body.topK, seed: body.seed),
            topLogprobs: wantsLogprobs ? topLogprobs ?? 0 : 0)
        let run = GenerationRun(cloud: cloud, request: generation, stopStrings: body.stop?.strings ?? [])
        let stream = try run.start()
        let id = Identifiers.make("chatcmpl-"), created = Identifiers.now, model = cloud.configuration.modelName
        let tokenizer = tokenizer

        if body.stream ?? false {
            let includeUsage = body.streamOptions?.includeUsage ?? false
            return Response(status: .ok, headers: SSE.headers, body: ResponseBody { writer in
                func chunk(_ delta: JSONValue, logprobs: JSONValue = .null, finish: String?) -> JSONValue {
                    ["id": .string(id), "object": "chat.completion.chunk", "created": .int(created), "model": .string(model),
                     "choices": [["index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish.map { .string($0) } ?? .null]]]
                }
                try await writer.write(SSE.frame(chunk(["role": "assistant", "content": ""], finish: nil)))
                let outcome = try await run.collect(stream) { delta, tokens in
                    let listing = wantsLogprobs ? Self.logprobsJSON(tokens, tokenizer: tokenizer) : .null
                    try await writer.write(SSE.frame(chunk(["content": .string(delta)], logprobs: listing, finish: nil)))
                }
                try await SSE.end(&writer, final: chunk([:], finish: outcome.finishReason), usage: includeUsage
                    ? ["id": .string(id), "object": "chat.completion.chunk", "created": .int(created), "model": .string(model),
                       "choices": [], "usage": usage(prompt.count, outcome.tokens.count)]
                    : nil)
            })
        }

        let outcome = try await run.collect(stream)
        let choice: JSONValue = [
            "index": 0, "message": ["role": "assistant", "content": .string(outcome.text)],
            "logprobs": wantsLogprobs ? Self.logprobsJSON(outcome.tokens, tokenizer: tokenizer) : .null,
            "finish_reason": .string(outcome.finishReason),
        ]
        return .json(["id": .string(id), "object": "chat.completion", "created": .int(created), "model": .string(model),
                      "choices": [choice], "usage": usage(prompt.count, outcome.tokens.count)])
    }

    /// Chat `logprobs`: `{"content": [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}`.
    static func logprobsJSON(_ tokens: [GeneratedToken], tokenizer: Tokenizer) -> JSONValue {
        func item(_ id: TokenID, _ logprob: Float) -> [(String, JSONValue)] {
            let bytes = (try? tokenizer.decodeBytes([id])) ?? []
            return [("token", .string(String(decoding: bytes, as: UTF8.self))), ("logprob", .logprob(logprob)),
                    ("bytes", .array(bytes.map { .int(Int($0)) }))]
        }
        return ["content": .array(tokens.map { token in
            .object(item(token.id, token.logprob) + [("top_logprobs", .array(token.top.map { .object(item($0.id, $0.logprob)) }))])
        })]
    }
}
