/// One turn of a conversation.
public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable {
        case system, user, assistant
    }

    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: .assistant, content: content) }
}

/// A chat template as a typed function from messages to prompt text, instead of the Jinja
/// source GGUF files carry in `tokenizer.chat_template`.
public struct ChatTemplate: Sendable, Equatable {
    private enum Format: Sendable, Equatable { case chatML }
    private let format: Format

    /// ChatML, the format of Qwen2.5 and SmolLM2 instruct models:
    ///
    ///     <|im_start|>system\nYou are a helpful assistant.<|im_end|>\n
    ///     <|im_start|>user\nHello<|im_end|>\n
    ///     <|im_start|>assistant\n                      ← the generation prompt
    ///
    /// It renders exactly the messages given. The models' own Jinja templates insert a default
    /// system message when the first message is not a system one (Qwen2.5: "You are Qwen,
    /// created by Alibaba Cloud. You are a helpful assistant."; SmolLM2: "You are a helpful AI
    /// assistant named SmolLM, trained by Hugging Face"); this one does not, so pass the
    /// system message you want. Tool calls and tool messages are not modelled.
    public static let chatML = ChatTemplate(format: .chatML)

    /// The prompt text for `messages`. Encode it with `parseSpecial: true` so the markers
    /// become their control tokens. Content is inserted verbatim: content that spells a
    /// marker such as `<|im_end|>` will be parsed as one.
    ///
    /// - Parameter addGenerationPrompt: end with the opening of an assistant turn, for the
    ///   model to continue.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        switch format {
        case .chatML:
            var prompt = ""
            for message in messages {
                prompt += "<|im_start|>\(message.role.rawValue)\n\(message.content)<|im_end|>\n"
            }
            if addGenerationPrompt { prompt += "<|im_start|>assistant\n" }
            return prompt
        }
    }
}
