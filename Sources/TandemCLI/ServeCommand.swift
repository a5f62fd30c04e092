import ArgumentParser
import Foundation
import TandemCloud
import TandemEngine
import TandemServer

/// `tandem serve --model MODEL [--host H] [--port P] …`: the cloud service over HTTP.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model to devices (Tandem protocol) and to OpenAI-compatible clients.",
        discussion: """
        Routes: /tandem/v1/sessions… (docs/PROTOCOL.md), /v1/models, /v1/completions, \
        /v1/chat/completions, /generate (SGLang), /health, /metrics. SIGINT or SIGTERM stops \
        accepting connections, finishes the requests in flight, then exits.
        """)

    @Option(help: "Model name or path to a .gguf file.")
    var model: String

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 8080

    @Option(help: "Threads for matrix work (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("api-key"), help: "Accepted Bearer key (repeatable; none: no authentication).")
    var apiKeys: [String] = []

    @Option(help: "Tokens one engine step may run.")
    var tokenBudget = 256

    @Option(help: "Most open sessions (the least recently used idle one is evicted for a new one).")
    var maxSessions = 64

    @Option(name: .customLong("kv-memory-mb"), help: "KV cache memory for sessions, MiB (least recently used idle sessions are evicted beyond it).")
    var kvMemoryMB = 4096

    @Option(help: "Requests queued or running at once (429 beyond).")
    var maxQueue = 256

    @Option(help: "Scheduler: verify-aware (token budget, verification first) or fcfs (one request per step).")
    var scheduler = SchedulingPolicy.verifyAware.rawValue

    @Option(name: .customLong("max-body-kb"), help: "Largest request body, KiB.")
    var maxBodyKB = 4096

    @Option(name: .customLong("merge-limit"), help: "Most tokens a verification runs in one pass (unseen context, one re-run token, the draft); sessions state it so devices sync one less. The default is the batched kernels' tile.")
    var mergeLimit = CloudConfiguration(modelName: "").mergeLimit

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard tokenBudget >= 1 else { throw ValidationError("--token-budget must be at least 1") }
        guard maxSessions >= 1 else { throw ValidationError("--max-sessions must be at least 1") }
        guard kvMemoryMB >= 1 else { throw ValidationError("--kv-memory-mb must be at least 1") }
        guard maxQueue >= 1 else { throw ValidationError("--max-queue must be at least 1") }
        guard maxBodyKB >= 1 else { throw ValidationError("--max-body-kb must be at least 1") }
        guard mergeLimit >= 2 else { throw ValidationError("--merge-limit must be at least 2 (the re-run token and one more)") }
        guard SchedulingPolicy(rawValue: scheduler) != nil else {
            throw ValidationError("--scheduler must be one of: \(SchedulingPolicy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let path = try await ensureModel(model)
        let engine = try Engine(path: path, threads: threads, batchInvariant: true)
        let name = URL(fileURLWithPath: model).pathExtension == "gguf" ? URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent : model
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(
            modelName: name, policy: SchedulingPolicy(rawValue: scheduler)!, tokenBudget: tokenBudget, maxSessions: maxSessions,
            kvMemoryBytes: kvMemoryMB << 20, maxQueue: maxQueue, mergeLimit: mergeLimit))
        let server = ServerConfiguration(host: host, port: port, apiKeys: apiKeys, maxBodyBytes: maxBodyKB << 10)
        let app = TandemServer.makeApplication(cloud: cloud, configuration: server) { [host, scheduler] port in
            printError("tandem serve: \(name) on http://\(host):\(port) (scheduler \(scheduler))")
        }
        try await app.runService()
        printError("tandem serve: stopped")
    }
}
