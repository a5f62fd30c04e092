import Hummingbird
import TandemCloud
import TandemEngine
import TandemProtocol
import TandemTokenizer

/// `POST /v1/completions`: OpenAI's legacy completions with vLLM's `prompt_logprobs` and
/// `return_tokens_as_token_ids` (logprobs name tokens `token_id:<id>`, which a verifier needs).
struct CompletionsRoute {
    let cloud: CloudService
    let limits: ServerConfiguration
    var tokenizer: Tokenizer { cloud.engine.tokenizer }

    func handle(_ request: Request) async throws -> Response {
        let body = try await decodeBody(CompletionRequest.self, from: request, limit: limits.maxBodyBytes)
        try RequestChecks.model(body.model, served: cloud.configuration.modelName)
        try RequestChecks.single(body.n)
        let prompt: [TokenID] = switch body.prompt {
        case .text(let text): try tokenizer.encode(text, parseSpecial: true, addBOS: tokenizer.addsBOS)
        case .tokens(let ids): ids
        }
        guard !prompt.isEmpty else { throw ErrorResponse(.invalidRequest, "the prompt is empty", param: "prompt") }
        let logprobs = try RequestChecks.count(body.logprobs, "logprobs")
        let promptLogprobs = try RequestChecks.count(body.promptLogprobs, "prompt_logprobs")
        let echo = body.echo ?? false
        let asIDs = body.returnTokensAsTokenIDs ?? false
        let scorePrompt = (promptLogprobs != nil || (echo && logprobs != nil)) && prompt.count > 1
        let generation = CloudGenerationRequest(
            prompt: prompt, maxTokens: try RequestChecks.maxTokens(body.maxTokens, "max_tokens") ?? 16,
            sampling: try RequestChecks.sampling(temperature: body.temperature, topP: body.topP, topK: body.topK, seed: body.seed),
            topLogprobs: logprobs ?? 0, promptLogprobsFrom: scorePrompt ? 1 : nil,
            promptTopK: max(promptLogprobs ?? 0, echo ? logprobs ?? 0 : 0))
        let run = GenerationRun(cloud: cloud, request: generation, stopStrings: body.stop?.strings ?? [])
        let stream = try run.start()
        let id = Identifiers.make("cmpl-"), created = Identifiers.now, model = cloud.configuration.modelName
        let promptText = echo ? try tokenizer.decode(prompt) : ""

        if body.stream ?? false {
            let includeUsage = body.streamOptions?.includeUsage ?? false
            let tokenizer = tokenizer
            return Response(status: .ok, headers: SSE.headers, body: ResponseBody { writer in
                func chunk(_ text: String, logprobs: JSONValue, finish: String?) -> JSONValue {
                    ["id": .string(id), "object": "text_completion", "created": .int(created), "model": .string(model),
                     "choices": [["index": 0, "text": .string(text), "logprobs": logprobs,
                                  "finish_reason": finish.map { .string($0) } ?? .null]]]
                }
                if echo { try await writer.write(SSE.frame(chunk(promptText, logprobs: .null, finish: nil))) }
                let outcome = try await run.collect(stream) { delta, tokens in
                    let listing = logprobs.map { _ in Self.logprobsJSON(tokens, tokenizer: tokenizer, offset: 0, asIDs: asIDs) } ?? .null
                    try await writer.write(SSE.frame(chunk(delta, logprobs: listing, finish: nil)))
                }
                try await SSE.end(&writer, final: chunk("", logprobs: .null, finish: outcome.finishReason), usage: includeUsage
                    ? ["id": .string(id), "object": "text_completion", "created": .int(created), "model": .string(model),
                       "choices": [], "usage": usage(prompt.count, outcome.tokens.count)]
                    : nil)
            })
        }

        let outcome = try await run.collect(stream)
        var listing: JSONValue = .null
        if logprobs != nil {
            listing = Self.logprobsJSON(outcome.tokens, tokenizer: tokenizer, offset: promptText.utf8.count,
                                        prompt: echo ? (prompt, outcome.promptScores) : nil, asIDs: asIDs)
        }
        var choice: [(String, JSONValue)] = [("index", 0), ("text", .string(promptText + outcome.text)), ("logprobs", listing),
                                             ("finish_reason", .string(outcome.finishReason)), ("stop_reason", .null)]
        if promptLogprobs != nil {
            choice.append(("prompt_logprobs", Self.promptLogprobsJSON(prompt, outcome.promptScores, tokenizer: tokenizer)))
        }
        return .json(["id": .string(id), "object": "text_completion", "created": .int(created), "model": .string(model),
                      "choices": [.object(choice)], "usage": usage(prompt.count, outcome.tokens.count)])
    }

    /// OpenAI's legacy `logprobs`: tokens, token_logprobs, top_logprobs, text_offset; with
    /// echo, the prompt's tokens first (the first has no log-probability).
    static func logprobsJSON(_ tokens: [GeneratedToken], tokenizer: Tokenizer, offset: Int,
                             prompt: ([TokenID], [PromptTokenLogprob])? = nil, asIDs: Bool = false) -> JSONValue {
        var texts: [JSONValue] = [], values: [JSONValue] = [], tops: [JSONValue] = [], offsets: [JSONValue] = []
        var position = 0
        func name(_ id: TokenID) -> String { asIDs ? "token_id:\(id)" : tokenizer.pieceText(id) }
        func add(_ id: TokenID, _ logprob: Float?, _ top: [TokenLogprob]?) {
            let text = tokenizer.pieceText(id)
            texts.append(.string(name(id)))
            values.append(logprob.map { .logprob($0) } ?? .null)
            tops.append(top.map { list in .object(list.map { (name($0.id), .logprob($0.logprob)) }) } ?? .null)
            offsets.append(.int(position))
            position += text.utf8.count
        }
        if let (ids, scores) = prompt {
            for (index, id) in ids.enumerated() {
                let score = scores.first { $0.index == index }
                add(id, score?.logprob, score?.top)
            }
        } else {
            position = offset
        }
        for token in tokens { add(token.id, token.logprob, token.top) }
        return ["tokens": .array(texts), "token_logprobs": .array(values), "top_logprobs": .array(tops), "text_offset": .array(offsets)]
    }

    /// vLLM's `prompt_logprobs`: null for the first token, then per token a map from token id
    /// (a string) to `{logprob, rank, decoded_token}`, the prompt token first, then the top ones.
    static func promptLogprobsJSON(_ prompt: [TokenID], _ scores: [PromptTokenLogprob], tokenizer: Tokenizer) -> JSONValue {
        var list: [JSONValue] = [.null]
        for score in scores.sorted(by: { $0.index < $1.index }) {
            func entry(_ logprob: Float, _ rank: Int, _ id: TokenID) -> JSONValue {
                ["logprob": .logprob(logprob), "rank": .int(rank), "decoded_token": .string(tokenizer.pieceText(id))]
            }
            var members: [(String, JSONValue)] = [(String(score.token), entry(score.logprob, score.rank, score.token))]
            for (rank, top) in score.top.enumerated() where top.id != score.token {
                members.append((String(top.id), entry(top.logprob, rank + 1, top.id)))
            }
            list.append(.object(members))
        }
        while list.count < prompt.count { list.append(.null) }
        return .array(list)
    }
}

func usage(_ prompt: Int, _ completion: Int) -> JSONValue {
    ["prompt_tokens": .int(prompt), "total_tokens": .int(prompt + completion), "completion_tokens": .int(completion)]
}
