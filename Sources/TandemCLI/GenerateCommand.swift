import ArgumentParser
import Foundation
import TandemCloud
import TandemCollaboration
import TandemEngine
import TandemEval
import TandemTokenizer

extension CollaborationMode: ExpressibleByArgument {}

/// `tandem generate [--mode MODE] [--device MODEL] [--cloud URL|MODEL] … -- PROMPT`.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with the device model, the cloud model, or both, streaming it to stdout.",
        discussion: """
        Modes: device (the device model alone), cloud (the cloud model alone), speculative \
        (every drafted token verified by the cloud, in chunks), tandem (only risky chunks \
        verified; the device keeps drafting while it waits), token-routing (a router trained by \
        `tandem train-router` picks single tokens for the cloud to decide). Without --cloud URL \
        the cloud model runs in this process on its own thread(s).
        """)

    @Option(help: "Who generates: \(CollaborationMode.allCases.map(\.rawValue).joined(separator: ", ")).")
    var mode: CollaborationMode = .tandem

    @Option(help: "Device model name or path to a .gguf file.")
    var device = "qwen2.5-coder-0.5b-instruct"

    @Option(help: "Cloud: a model name or .gguf path (run in this process) or the http:// URL of a `tandem serve`.")
    var cloud = "qwen2.5-coder-1.5b-instruct"

    @Option(name: .customLong("api-key"), help: "Bearer key for --cloud URL.")
    var apiKey: String?

    @Option(name: .customLong("cloud-api"), help: "How to reach --cloud URL: tandem (sessions, docs/PROTOCOL.md), openai (/v1/completions with vLLM prompt_logprobs) or sglang (/generate); the last two are stateless and greedy only.")
    var cloudAPI = "tandem"

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

    @Option(help: "Device threads (default: all cores in device mode, 1 when a cloud runs in this process).")
    var threads: Int?

    @Option(name: .customLong("cloud-threads"), help: "Threads of the in-process cloud model.")
    var cloudThreads = 1

    @Option(help: "Most draft tokens per verification chunk: a risky token and the risky tokens after it (default 4).")
    var chunk: Int?

    @Option(help: "tandem, token-routing: largest share of generated tokens sent to the cloud (0-1).")
    var budget: Double?

    @Option(help: "tandem: offload a token when 1 − confidence reaches this; token-routing: when the router's score does.")
    var threshold: Float?

    @Option(help: "token-routing: the router from `tandem train-router` (its threshold for --budget).")
    var router: String?

    @Option(name: .customLong("query-policy"), help: "query-routing: the policy from `tandem route train`.")
    var queryPolicy: String?

    @Option(help: "tandem: calibration from `tandem profile` (threshold for --budget).")
    var profile: String?

    @Flag(inversion: .prefixedNo, help: "Keep drafting while a verification is in flight.")
    var stallFree = true

    @Option(help: "Most tokens drafted past a verification in flight (the device idles past it; drafts past a rejected chunk are thrown away).")
    var lookahead = CollaborationOptions().lookahead

    @Option(help: "Most verifications in flight: past the first, a risky chunk goes as soon as it is drafted, betting the ones before it are accepted whole (1: one at a time).")
    var pipeline = CollaborationOptions().pipelineDepth

    @Option(name: .customLong("sync-ahead"), help: "With nothing to verify, send committed tokens the cloud has not seen once there are this many (0: only with verifications; default: one less than the merge limit the cloud states, so a sync is one pass).")
    var syncAhead: Int?

    @Option(help: "Emulated network, e.g. rtt=80ms,jitter=10ms,up=20mbit,down=50mbit,loss=0.01.")
    var link: String?

    @Option(help: "Seconds to wait for one cloud answer.")
    var timeout: Double = 10

    @Flag(help: "Print one JSON object at the end (text, tokens, provenance, stats) instead of streaming text.")
    var json = false

    @Argument(help: "The prompt (after --).")
    var prompt: [String] = []

    func validate() throws {
        guard !prompt.isEmpty else { throw ValidationError("no prompt: give it after --") }
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must not be negative") }
        if system != nil && !chat { throw ValidationError("--system needs --chat") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard cloudThreads >= 1 else { throw ValidationError("--cloud-threads must be at least 1") }
        if let chunk, chunk < 1 { throw ValidationError("--chunk must be at least 1") }
        guard (syncAhead ?? 0) >= 0 else { throw ValidationError("--sync-ahead must be 0 or more") }
        guard pipeline >= 1 else { throw ValidationError("--pipeline must be 1 or more") }
        guard lookahead >= 0 else { throw ValidationError("--lookahead must be 0 or more") }
        if mode == .queryRouting && queryPolicy == nil { throw ValidationError("--mode query-routing needs --query-policy FILE (made by tandem route train)") }
        if mode == .tokenRouting && router == nil { throw ValidationError("--mode token-routing needs --router FILE (made by tandem train-router)") }
        if let budget, !(0...1).contains(budget) { throw ValidationError("--budget must be in 0...1") }
        if let threshold, !(threshold.isFinite && threshold >= 0) { throw ValidationError("--threshold must be a non-negative number") }
        guard timeout > 0 && timeout.isFinite else { throw ValidationError("--timeout must be positive") }
        _ = try verifierAPI(cloudAPI)
        if cloudAPI != "tandem" && !(cloud.hasPrefix("http://") || cloud.hasPrefix("https://")) {
            throw ValidationError("--cloud-api \(cloudAPI) needs --cloud URL (the in-process cloud needs no API)")
        }
        if let link { _ = try LinkSpec(parsing: link) }
        try SamplingParameters(temperature: temperature, topP: topP, seed: seed).validate()
    }

    func run() async throws {
        let usesCloud = mode != .device
        let remote = cloud.hasPrefix("http://") || cloud.hasPrefix("https://")
        let deviceThreads = threads ?? (usesCloud && !remote ? 1 : ProcessInfo.processInfo.activeProcessorCount)
        let engine = try Engine(path: try await ensureModel(device), threads: deviceThreads)
        var verifier: (any CloudVerifier)?
        if usesCloud {
            if remote {
                verifier = makeVerifier(url: cloud, api: try verifierAPI(cloudAPI), apiKey: apiKey, timeout: timeout)
            } else {
                let cloudEngine = try Engine(path: try await ensureModel(cloud), threads: cloudThreads, batchInvariant: true)
                verifier = InProcessVerifier(service: CloudService(engine: cloudEngine, configuration: CloudConfiguration(modelName: cloud)))
            }
            if let link, let inner = verifier {
                verifier = EmulatedLink(inner, spec: try LinkSpec(parsing: link), seed: seed)
            }
        }
        let tokenRouter = try router.map { try TokenRouter.load(from: $0) }
        let calibration = mode == .tandem && threshold == nil
            ? try tandemCalibration(profile: profile, device: device) : try profile.map { try Calibration.load(from: $0) }
        var policy = OffloadPolicy.forBudget(budget ?? OffloadPolicy().budget, mode: mode, calibration: calibration, router: tokenRouter)
        if let threshold { policy.riskThreshold = threshold }
        let options = CollaborationOptions(mode: mode, maxTokens: maxTokens,
                                           sampling: SamplingParameters(temperature: temperature, topP: topP, seed: seed),
                                           policy: policy, chunkSize: chunk ?? 4, stallFree: stallFree,
                                           lookahead: lookahead, timeout: timeout, syncThreshold: syncAhead, router: tokenRouter, pipelineDepth: pipeline)
        let promptTokens = try encodePrompt(engine.tokenizer)
        if mode == .queryRouting, let queryPolicy {
            let policy = try QueryRoutingPolicy.load(from: queryPolicy)
            // A policy trained with checks reads the prompt's examples run on the answer.
            let userText = prompt.joined(separator: " ")
            let check: (@Sendable (String) async throws -> [Float])? = policy.policy.input == .answerChecked
                ? { @Sendable text in try await ExampleCheck().features(prompt: userText, answer: text) } : nil
            let (result, decision) = try await QueryRoutingDecoder(device: engine, cloud: verifier, options: options, policy: policy)
                .run(prompt: promptTokens, check: check) { if case .warning(let message) = $0 { printError("warning: \(message)") } }
            if json {
                struct Routed: Encodable { let result: CollaborationResult; let routing: QueryRoutingDecision }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(Routed(result: result, routing: decision)), as: UTF8.self))
            } else {
                print(result.text)
                printError(String(format: "[query-routing: %@ (hand-off probability %.3f, logit threshold %.3f); %d tokens]",
                                  decision.handedOff ? "the cloud answered" : "the device's answer kept", decision.probability,
                                  policy.threshold, result.stats.generatedTokens))
            }
            return
        }
        let decoder = CollaborativeDecoder(device: engine, cloud: verifier, options: options)
        var result: CollaborationResult?
        for try await event in decoder.generate(prompt: promptTokens) {
            switch event {
            case .text(let piece): if !json { FileHandle.standardOutput.write(Data(piece.utf8)) }
            case .warning(let message): printError("warning: \(message)")
            case .finished(let final): result = final
            case .token: break
            }
        }
        guard let result else { return }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            FileHandle.standardOutput.write(Data("\n".utf8))
            let s = result.stats
            printError(String(format: "[%@ %@: %d tokens, %.1f tok/s, TTFT %.0f ms, TBT mean %.0f ms p95 %.0f ms; offloaded %.0f%%, %d cloud calls, %d rejections, %d B up, %d B down]",
                              mode.rawValue, result.finishReason, s.generatedTokens, s.tokensPerSecond, s.ttftMilliseconds,
                              s.tbtMilliseconds.mean, s.tbtMilliseconds.p95, 100 * s.offloadRatio, s.cloudCalls, s.rejections,
                              s.bytesUp, s.bytesDown))
        }
    }

    func encodePrompt(_ tokenizer: Tokenizer) throws -> [TokenID] {
        let text = prompt.joined(separator: " ")
        if chat {
            var messages: [ChatMessage] = []
            if let system { messages.append(.system(system)) }
            messages.append(.user(text))
            return try tokenizer.encode(ChatTemplate.chatML.render(messages, addGenerationPrompt: true), parseSpecial: true)
        }
        return try tokenizer.encode(text, addBOS: tokenizer.addsBOS)
    }
}

/// `--cloud-api`: nil for the Tandem protocol, else the stateless API.
func verifierAPI(_ name: String) throws -> StatelessVerifier.API? {
    if name == "tandem" { return nil }
    guard let api = StatelessVerifier.API(rawValue: name) else {
        throw ValidationError("--cloud-api must be tandem, \(StatelessVerifier.API.allCases.map(\.rawValue).joined(separator: " or "))")
    }
    return api
}

/// The verifier for a cloud URL: the Tandem protocol, or a stateless API. `timeout` is the
/// decoder's per-call limit (it adds a second per requested token for cloud generation); the
/// transport's own deadline sits well past it so the decoder's limit is the one that applies.
func makeVerifier(url: String, api: StatelessVerifier.API?, apiKey: String?, timeout: Double) -> any CloudVerifier {
    let deadline = Duration.seconds(Int64(timeout.rounded(.up)) * 2 + 120)
    guard let api else { return HTTPVerifier(url: url, apiKey: apiKey, timeout: deadline) }
    return StatelessVerifier(url: url, api: api, apiKey: apiKey, timeout: deadline)
}
