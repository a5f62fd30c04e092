import Hummingbird
import TandemCloud
import TandemEngine
import TandemProtocol
import TandemTokenizer

/// SGLang's `POST /generate`: `input_ids` (or `text`), `sampling_params`, and with
/// `return_logprob` the prompt's log-probabilities from `logprob_start_len` on, the shape a
/// verifier reads (`meta_info.input_token_logprobs`, each `[logprob, id, null]`).
struct SGLangRoute {
    let cloud: CloudService
    let limits: ServerConfiguration
    var tokenizer: Tokenizer { cloud.engine.tokenizer }

    func handle(_ request: Request) async throws -> Response {
        let body = try await decodeBody(SGLangGenerateRequest.self, from: request, limit: limits.maxBodyBytes)
        guard body.stream != true else { throw ErrorResponse(.invalidRequest, "stream is not supported on /generate", param: "stream") }
        let prompt: [TokenID]
        switch (body.inputIDs, body.text) {
        case (let ids?, nil): prompt = ids
        case (nil, let text?): prompt = try tokenizer.encode(text, parseSpecial: true, addBOS: tokenizer.addsBOS)
        default: throw ErrorResponse(.invalidRequest, "give exactly one of input_ids and text", param: "input_ids")
        }
        guard !prompt.isEmpty else { throw ErrorResponse(.invalidRequest, "the prompt is empty", param: "input_ids") }
        let params = body.samplingParams
        let returnLogprob = body.returnLogprob ?? false
        let start = body.logprobStartLen ?? -1
        guard start >= -1, start < prompt.count else {
            throw ErrorResponse(.invalidRequest, "logprob_start_len must be in -1..<\(prompt.count)", param: "logprob_start_len")
        }
        let topK = try RequestChecks.count(body.topLogprobsNum, "top_logprobs_num") ?? 0
        let scoreFrom = returnLogprob && start >= 0 ? max(start, 1) : nil
        let generation = CloudGenerationRequest(
            prompt: prompt, maxTokens: try RequestChecks.maxTokens(params?.maxNewTokens, "max_new_tokens") ?? 128,
            sampling: try RequestChecks.sampling(temperature: params?.temperature, topP: params?.topP, topK: params?.topK, seed: params?.seed),
            topLogprobs: returnLogprob ? topK : 0,
            promptLogprobsFrom: scoreFrom.flatMap { $0 < prompt.count ? $0 : nil }, promptTopK: topK)
        let run = GenerationRun(cloud: cloud, request: generation, stopStrings: params?.stop?.strings ?? [])
        let outcome = try await run.collect(try run.start())

        func triple(_ logprob: Float?, _ id: TokenID) -> JSONValue { [logprob.map { .logprob($0) } ?? .null, .int(Int(id)), .null] }
        var meta: [(String, JSONValue)] = [
            ("id", .string(Identifiers.make(""))),
            ("finish_reason", outcome.finishReason == "stop" ? ["type": "stop"] : ["type": "length", "length": .int(outcome.tokens.count)]),
            ("prompt_tokens", .int(prompt.count)), ("completion_tokens", .int(outcome.tokens.count)), ("cached_tokens", 0),
        ]
        if returnLogprob {
            var inputLogprobs: [JSONValue] = [], inputTop: [JSONValue] = []
            if start >= 0 {
                let scores = Dictionary(outcome.promptScores.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
                for index in start..<prompt.count {
                    let score = scores[index]
                    inputLogprobs.append(triple(score?.logprob, prompt[index]))
                    inputTop.append(score.map { .array($0.top.map { triple($0.logprob, $0.id) }) } ?? .null)
                }
            }
            meta += [("input_token_logprobs", .array(inputLogprobs)), ("input_top_logprobs", .array(inputTop)),
                     ("output_token_logprobs", .array(outcome.tokens.map { triple($0.logprob, $0.id) })),
                     ("output_top_logprobs", .array(outcome.tokens.map { .array($0.top.map { triple($0.logprob, $0.id) }) }))]
        }
        return .json(["text": .string(outcome.text), "output_ids": .array(outcome.tokens.map { .int(Int($0.id)) }),
                      "meta_info": .object(meta)])
    }
}
