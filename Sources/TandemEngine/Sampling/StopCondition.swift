import TandemTokenizer

/// When generation stops on its own: stop token ids (checked per sampled token) and stop
/// strings (checked in the streamed text by a `StopMatcher`).
///
/// A stop token ends generation with `FinishReason.stop` and its text is not emitted; a stop
/// string ends it with `FinishReason.stopString`, emitting only the text before it.
public struct StopCondition: Sendable, Codable, Hashable {
    /// Token ids that end generation, such as EOS (`<|im_end|>`, 151645, for Qwen2.5 instruct).
    public var tokenIDs: Set<TokenID>
    /// Texts that end generation when they appear in the output; none may be empty.
    public var strings: [String]

    public init(tokenIDs: Set<TokenID> = [], strings: [String] = []) {
        self.tokenIDs = tokenIDs
        self.strings = strings
    }

    /// Never stops by itself (only length, context or cancellation end generation).
    public static let none = StopCondition()

    /// The model's end-of-generation tokens, as llama.cpp's `special_eog_ids` finds them, plus
    /// `strings`: `eosTokenID`, and every token whose text is one of `endOfGenerationTexts`
    /// whatever its stored kind (llama.cpp promotes such tokens to control). For Qwen2.5 and
    /// SmolLM2 that is `<|im_end|>` and `<|endoftext|>`. llama.cpp also counts the FIM
    /// pad/repo/file-separator tokens as end of generation; they are left out here, since chat
    /// and plain completion do not produce them.
    public init(endOfGenerationOf tokenizer: Tokenizer, strings: [String] = []) {
        var ids = Set<TokenID>()
        if let eos = tokenizer.eosTokenID { ids.insert(eos) }
        for text in Self.endOfGenerationTexts {
            if let id = tokenizer.tokenID(forText: text) { ids.insert(id) }
        }
        self.init(tokenIDs: ids, strings: strings)
    }

    /// Token texts llama.cpp treats as end of generation (`llama_vocab::impl::load`).
    public static let endOfGenerationTexts: [String] = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>",
        "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>",
    ]

    /// Whether sampling `id` ends generation.
    public func isStopToken(_ id: TokenID) -> Bool {
        tokenIDs.contains(id)
    }

    /// Throws `emptyStopString` for the first empty stop string.
    public func validate() throws(SamplingError) {
        if let index = strings.firstIndex(of: "") { throw .emptyStopString(index: index) }
    }

    /// A matcher for `strings`, ready for the first piece of text.
    /// - Throws: `emptyStopString`.
    public func makeMatcher() throws(SamplingError) -> StopMatcher {
        try StopMatcher(stopStrings: strings)
    }
}
