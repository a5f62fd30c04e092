import TandemTestSupport
import Testing
import TandemTokenizer

@Suite("chat template")
struct ChatTemplateTests {
    @Test("ChatML renders each message and the generation prompt exactly")
    func chatMLRendering() {
        let messages: [ChatMessage] = [
            .system("You are a helpful assistant."),
            .user("Hi!"),
            .assistant("Hello. How can I help?"),
            .user("Sort [3, 1, 2]."),
        ]
        let expected = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHi!<|im_end|>\n"
            + "<|im_start|>assistant\nHello. How can I help?<|im_end|>\n"
            + "<|im_start|>user\nSort [3, 1, 2].<|im_end|>\n"
        #expect(ChatTemplate.chatML.render(messages, addGenerationPrompt: false) == expected)
        #expect(ChatTemplate.chatML.render(messages, addGenerationPrompt: true) == expected + "<|im_start|>assistant\n")
    }

    @Test("no default system message is inserted")
    func noDefaultSystemMessage() {
        #expect(ChatTemplate.chatML.render([.user("Hi")], addGenerationPrompt: true)
            == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        #expect(ChatTemplate.chatML.render([], addGenerationPrompt: true) == "<|im_start|>assistant\n")
    }

    @Test("rendered prompts match the golden chat prompts and their ids", arguments: TestModel.allCases)
    func matchesGoldenPrompt(model: TestModel) async throws {
        let golden = try GoldenFile.load(model.goldenFileName)
        let testCase = try #require(golden.greedy.first)
        let prefix = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
        let suffix = "<|im_end|>\n<|im_start|>assistant\n"
        try #require(testCase.prompt.hasPrefix(prefix) && testCase.prompt.hasSuffix(suffix))
        let question = String(testCase.prompt.dropFirst(prefix.count).dropLast(suffix.count))
        let rendered = ChatTemplate.chatML.render(
            [.system("You are a helpful assistant."), .user(question)], addGenerationPrompt: true)
        #expect(rendered == testCase.prompt)
        let tokenizer = try await loadTokenizer(model)
        #expect(try tokenizer.encode(rendered, parseSpecial: true) == testCase.promptIDs)
    }
}
