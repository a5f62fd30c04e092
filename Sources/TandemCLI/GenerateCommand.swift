import ArgumentParser
import Foundation
import TandemEngine
import TandemTokenizer

/// Who writes the tokens. Later issues add the collaborative modes.
enum GenerationMode: String, ExpressibleByArgument, CaseIterable {
    /// The device model alone.
    case device
}

/// `tandem generate --mode device --device MODEL [--chat] … -- PROMPT`.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text, streaming it to stdout.")

    @Option(help: "Who generates: \(GenerationMode.allCases.map(\.rawValue).joined(separator: ", ")).")
    var mode: GenerationMode = .device

    @Option(help: "Device model name or path to a .gguf file.")
    var device = "qwen2.5-coder-0.5b-instruct"

    @Flag(help: "Wrap the prompt in the model's chat template (ChatML) as a user message.")
    var chat = false

    @Option(help: "System message (with --chat).")
    var system: String?

    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate.")
    var maxTokens = 256

    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0

    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold (1 = off).")
    var topP: Float = 1

    @Option(help: "Random seed for sampling.")
    var seed: UInt64 = 0

    @Option(help: "Threads for matrix work (default: all cores).")
    var threads: Int?

    @Flag(help: "Print one JSON object at the end instead of streaming text.")
    var json = false

    @Argument(help: "The prompt (after --).")
    var prompt: [String] = []

    func validate() throws {
        guard !prompt.isEmpty else { throw ValidationError("no prompt: give it after --") }
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must not be negative") }
        if system != nil && !chat { throw ValidationError("--system needs --chat") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        try sampling.validate()
    }

    var sampling: SamplingParameters {
        SamplingParameters(temperature: temperature, topP: topP, seed: seed)
    }

    func run() async throws {
        let engine = try Engine(path: try await ensureModel(device), threads: threads)
        let text = prompt.joined(separator: " ")
        let promptTokens: [TokenID]
        if chat {
            var messages: [ChatMessage] = []
            if let system { messages.append(.system(system)) }
            messages.append(.user(text))
            promptTokens = try engine.tokenizer.encode(ChatTemplate.chatML.render(messages, addGenerationPrompt: true), parseSpecial: true)
        } else {
            promptTokens = try engine.tokenizer.encode(text, addBOS: engine.tokenizer.addsBOS)
        }
        let request = GenerationRequest(prompt: promptTokens, maxTokens: maxTokens, sampling: sampling)
        var output = ""
        var tokens: [TokenID] = []
        var ending: (FinishReason, GenerationTimings)?
        for try await event in engine.generate(request) {
            switch event {
            case .token(let id): tokens.append(id)
            case .text(let piece):
                output += piece
                if !json {
                    FileHandle.standardOutput.write(Data(piece.utf8))
                }
            case .finished(let reason, let timings): ending = (reason, timings)
            }
        }
        guard let (reason, timings) = ending else { return }
        if json {
            let result = GenerateResult(text: output, tokens: tokens, prompt_tokens: promptTokens.count,
                                        finish_reason: reason.rawValue, timings: timings)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            FileHandle.standardOutput.write(Data("\n".utf8))
            printError(String(format: "[%@: %d prompt tokens in %.0f ms (%.1f tok/s), %d generated in %.0f ms (%.1f tok/s)]",
                              reason.rawValue, timings.promptTokens, timings.promptMilliseconds, timings.promptTokensPerSecond ?? 0,
                              timings.generatedTokens, timings.generationMilliseconds, timings.generationTokensPerSecond ?? 0))
        }
    }
}

/// `generate --json` output.
struct GenerateResult: Encodable {
    var text: String
    var tokens: [TokenID]
    var prompt_tokens: Int
    var finish_reason: String
    var timings: GenerationTimings
}
