/// `POST /v1/completions` (OpenAI, with vLLM's `prompt_logprobs` and `top_k`).
struct CompletionRequest: Decodable {
    var model: String?
    var prompt: PromptInput
    var maxTokens: Int?
    var temperature: Float?
    var topP: Float?
    var topK: Int?
    var stop: StopStrings?
    var seed: UInt64?
    var logprobs: Int?
    var echo: Bool?
    var promptLogprobs: Int?
    var returnTokensAsTokenIDs: Bool?
    var stream: Bool?
    var streamOptions: StreamOptions?
    var n: Int?

    enum CodingKeys: String, CodingKey {
        case model, prompt, temperature, stop, seed, logprobs, echo, stream, n
        case maxTokens = "max_tokens"
        case topP = "top_p"
        case topK = "top_k"
        case promptLogprobs = "prompt_logprobs"
        case returnTokensAsTokenIDs = "return_tokens_as_token_ids"
        case streamOptions = "stream_options"
    }
}

struct ChatMessageInput: Decodable {
    var role: String
    var content: MessageContent?
}

/// `POST /v1/chat/completions`.
struct ChatCompletionRequest: Decodable {
    var model: String?
    var messages: [ChatMessageInput]
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var temperature: Float?
    var topP: Float?
    var topK: Int?
    var stop: StopStrings?
    var seed: UInt64?
    var logprobs: Bool?
    var topLogprobs: Int?
    var stream: Bool?
    var streamOptions: StreamOptions?
    var n: Int?

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, stop, seed, logprobs, stream, n
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p"
        case topK = "top_k"
        case topLogprobs = "top_logprobs"
        case streamOptions = "stream_options"
    }
}

/// SGLang's `POST /generate` (the parts a verifier uses).
struct SGLangGenerateRequest: Decodable {
    struct SamplingParams: Decodable {
        var maxNewTokens: Int?
        var temperature: Float?
        var topP: Float?
        var topK: Int?
        var stop: StopStrings?
        var seed: UInt64?

        enum CodingKeys: String, CodingKey {
            case temperature, stop, seed
            case maxNewTokens = "max_new_tokens"
            case topP = "top_p"
            case topK = "top_k"
        }
    }

    var text: String?
    var inputIDs: [Int32]?
    var samplingParams: SamplingParams?
    var returnLogprob: Bool?
    var logprobStartLen: Int?
    var topLogprobsNum: Int?
    var stream: Bool?

    enum CodingKeys: String, CodingKey {
        case text, stream
        case inputIDs = "input_ids"
        case samplingParams = "sampling_params"
        case returnLogprob = "return_logprob"
        case logprobStartLen = "logprob_start_len"
        case topLogprobsNum = "top_logprobs_num"
    }
}
