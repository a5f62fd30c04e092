import Foundation
import Synchronization
import TandemCollaboration
import TandemEngine
import TandemTokenizer

/// One problem ready to run: its prompt tokens and how to judge an answer.
public struct EvalTask: Sendable {
    public var id: String
    public var prompt: [TokenID]
    /// Judges the generated text: passed, and why not when it did not.
    public var check: @Sendable (String) async throws -> (passed: Bool, detail: String?)
    /// Whether a wrong answer is still in the asked-for form (query routing's reward).
    public var wellFormed: @Sendable (String) -> Bool
    /// What the device can check of an answer without the hidden tests, as query routing's
    /// features (`QueryFeatures.check`); nil for tasks without such a check.
    public var selfCheck: (@Sendable (String) async throws -> [Float])?

    public init(id: String, prompt: [TokenID], check: @escaping @Sendable (String) async throws -> (passed: Bool, detail: String?),
                wellFormed: @escaping @Sendable (String) -> Bool = { _ in true },
                selfCheck: (@Sendable (String) async throws -> [Float])? = nil) {
        self.id = id
        self.prompt = prompt
        self.check = check
        self.wellFormed = wellFormed
        self.selfCheck = selfCheck
    }

    /// Correct, wrong but well-formed, or malformed.
    public func outcome(_ text: String) async throws -> AnswerOutcome {
        if try await check(text).passed { return .correct }
        return wellFormed(text) ? .wellFormed : .malformed
    }

    /// The chat prompt of REFERENCE.md: system "You are a helpful assistant.", the user
    /// message, the assistant's turn opened.
    public static func chatPrompt(_ tokenizer: Tokenizer, user: String) throws -> [TokenID] {
        try tokenizer.encode(ChatTemplate.chatML.render([.system("You are a helpful assistant."), .user(user)], addGenerationPrompt: true),
                             parseSpecial: true)
    }

    /// HumanEval problems judged by running their tests in the sandbox.
    /// HumanEval problems judged by running their tests in the sandbox; the self-check runs
    /// the examples of the problem's prompt (`ExampleCheck`).
    public static func humanEval(_ problems: [HumanEvalProblem], tokenizer: Tokenizer, sandbox: PythonSandbox = PythonSandbox()) throws -> [EvalTask] {
        let examples = ExampleCheck(sandbox: sandbox)
        return try problems.map { problem in
            EvalTask(id: problem.taskID, prompt: try chatPrompt(tokenizer, user: problem.userMessage)) { text in
                let result = try await sandbox.run(problem.program(forAnswer: text))
                return (result.passed, result.passed ? nil : "\(result.outcome.rawValue) (status \(result.exitStatus)): \(result.stderrTail.suffix(300))")
            } wellFormed: { $0.contains("```") && $0.contains("def \(problem.entryPoint)") } selfCheck: { text in
                try await examples.run(prompt: problem.prompt, entryPoint: problem.entryPoint, code: problem.code(forAnswer: text)).features
            }
        }
    }

    /// Arithmetic problems judged by their exact integer answer.
    public static func arithmetic(_ problems: [ArithmeticProblem], tokenizer: Tokenizer) throws -> [EvalTask] {
        try problems.map { problem in
            EvalTask(id: problem.id, prompt: try chatPrompt(tokenizer, user: problem.prompt)) { text in
                let got = ArithmeticProblem.extractAnswer(text)
                return (got == problem.answer, got == problem.answer ? nil : "expected \(problem.answer), got \(got.map(String.init) ?? "no answer")")
            } wellFormed: { ArithmeticProblem.extractAnswer($0) != nil }
        }
    }
}

/// A mode at one sweep point, with the options its decoders run with.
public struct EvalGroup: Sendable {
    public var mode: CollaborationMode
    public var sweep: SweepPoint
    public var options: CollaborationOptions

    public init(mode: CollaborationMode, sweep: SweepPoint, options: CollaborationOptions) {
        self.mode = mode
        self.sweep = sweep
        self.options = options
    }

    /// Every mode once; `tandem` and `token-routing` once per sweep point (the others do not
    /// depend on the policy). A budget point sets the policy's budget and its threshold (from
    /// `calibration` for tandem, from the router for token-routing); a threshold point sets the
    /// threshold. Without a sweep the base budget takes its threshold the same way.
    public static func plan(modes: [CollaborationMode], sweep: [SweepPoint], base: CollaborationOptions,
                            calibration: Calibration? = nil, router: TokenRouter? = nil, queryPolicy: QueryRoutingPolicy? = nil) -> [EvalGroup] {
        modes.flatMap { mode -> [EvalGroup] in
            var options = base
            options.mode = mode
            options.queryPolicy = mode == .queryRouting ? queryPolicy : nil
            let routed = mode == .tandem || mode == .tokenRouting
            if mode == .tokenRouting {
                options.router = router
                options.policy = OffloadPolicy.forBudget(options.policy.budget, mode: mode, calibration: nil, router: router)
            } else if mode == .tandem, let calibration {
                options.policy = calibration.policy(budget: options.policy.budget)
            }
            guard routed, !sweep.isEmpty else { return [EvalGroup(mode: mode, sweep: .none, options: options)] }
            return sweep.map { point in
                var o = options
                if point.key == "budget", let b = point.value {
                    o.policy = OffloadPolicy.forBudget(b, mode: mode, calibration: calibration, router: router)
                } else if point.key == "threshold", let t = point.value {
                    o.policy.riskThreshold = Float(t)
                }
                return EvalGroup(mode: mode, sweep: point, options: o)
            }
        }
    }
}

/// The files of an output directory: `results.jsonl` and `cloud.jsonl` (appended as work
/// finishes, so `--resume` finds what is done), `summary.json`, `summary.md` and the charts.
public struct EvalOutput: Sendable {
    public let directory: String
    public var resultsPath: String { directory + "/results.jsonl" }
    public var costsPath: String { directory + "/cloud.jsonl" }

    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    func append(_ line: some Encodable, to path: String) throws { try appendJSONLine(line, to: path, encoder: Self.encoder()) }

    public func append(_ record: EvalRecord) throws { try append(record, to: resultsPath) }
    public func append(_ cost: GroupCost) throws { try append(cost, to: costsPath) }

    func readLines<T: Decodable>(_ path: String, as: T.Type) throws -> [T] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        // A line cut short by an interrupted run is ignored (it is redone on resume).
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }

    public func records() throws -> [EvalRecord] { try readLines(resultsPath, as: EvalRecord.self) }
    public func costs() throws -> [GroupCost] { try readLines(costsPath, as: GroupCost.self) }

    /// Writes `summary.json`, `summary.md`, `pareto.svg`, `cost.svg` and `tbt.svg` from the
    /// files; returns the summaries.
    @discardableResult
    public func writeSummary(title: String, header: String = "") throws -> [GroupSummary] {
        let records = try records()
        let summaries = EvalSummary.summarize(records, costs: try costs())
        let encoder = Self.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        try encoder.encode(summaries).write(to: URL(fileURLWithPath: directory + "/summary.json"))
        var md = "# \(title)\n\n" + (header.isEmpty ? "" : header + "\n\n") + EvalSummary.markdown(summaries)
            + "\nCharts: [pass@1 vs offload](pareto.svg), [pass@1 vs cloud cost](cost.svg), [time between tokens](tbt.svg).\n"
        let routing = QueryRoutingComparison.compare(records)
        if !routing.isEmpty {
            try encoder.encode(routing).write(to: URL(fileURLWithPath: directory + "/routing.json"))
            md += "\n## Query routing against its baselines at the same cloud-call rate\n\n" + QueryRoutingComparison.markdown(routing)
        }
        try Data(md.utf8).write(to: URL(fileURLWithPath: directory + "/summary.md"))
        for (name, svg) in Self.charts(summaries, records: records, title: title) {
            try Data(svg.utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
        return summaries
    }

    static func label(_ s: GroupSummary) -> String { s.sweep == .none ? s.mode.rawValue : "\(s.mode.rawValue) \(s.sweep)" }

    /// The three charts, by file name.
    public static func charts(_ summaries: [GroupSummary], records: [EvalRecord], title: String) -> [(String, String)] {
        let offload = summaries.map { (x: $0.offloadRatio * 100, y: $0.passAt1 * 100) }
        let pareto = SVGChart.scatter(
            title: "\(title): pass@1 vs offloaded tokens", xLabel: "tokens offloaded to the cloud (%)", yLabel: "pass@1 (%)",
            points: summaries.map { SVGChart.Point(x: $0.offloadRatio * 100, y: $0.passAt1 * 100, label: label($0), series: $0.mode.rawValue) },
            front: EvalSummary.paretoFront(offload), yRange: 0...100)
        let costed = summaries.filter { $0.cloudBusySecondsPerOutputToken != nil }
        let costPoints = costed.map { (x: $0.cloudBusySecondsPerOutputToken! * 1000, y: $0.passAt1 * 100) }
        let cost = SVGChart.scatter(
            title: "\(title): pass@1 vs cloud cost", xLabel: "cloud busy ms per output token", yLabel: "pass@1 (%)",
            points: costed.map { SVGChart.Point(x: $0.cloudBusySecondsPerOutputToken! * 1000, y: $0.passAt1 * 100, label: label($0), series: $0.mode.rawValue) },
            front: EvalSummary.paretoFront(costPoints), yRange: 0...100)
        let tbt = SVGChart.cdf(
            title: "\(title): time between committed tokens", xLabel: "ms (log scale)",
            samples: summaries.map { s in
                (name: label(s), values: records.filter { $0.mode == s.mode && $0.sweep == s.sweep }.flatMap(\.tbtSamples))
            })
        return [("pareto.svg", pareto), ("cost.svg", cost), ("tbt.svg", tbt)]
    }
}

/// Runs tasks under groups: `concurrency` tasks at once, each with its own decoder over the
/// shared device engine and cloud; every finished task is appended to `results.jsonl` at
/// once, and each group's cloud cost (difference of counters around it) to `cloud.jsonl`.
public struct EvalRunner: Sendable {
    public let device: Engine
    public let cloud: (any CloudVerifier)?
    public let concurrency: Int
    /// Reads the cloud's counters (nil when there is no cloud to ask).
    public let cloudCounters: @Sendable () async -> CloudCounters?
    /// Device-mode answers of this run, reused by query-routing (its device attempt).
    private let deviceAnswers = SharedBox<[String: CollaborationResult]>([:])
    /// One cloud budget per query-routing group (see `QueryBudget`), over its tasks in launch order.
    private let queryBudgets = SharedBox<[String: QueryBudget]>([:])

    public init(device: Engine, cloud: (any CloudVerifier)?, concurrency: Int = 1,
                cloudCounters: @escaping @Sendable () async -> CloudCounters? = { nil }) {
        self.device = device
        self.cloud = cloud
        self.concurrency = max(1, concurrency)
        self.cloudCounters = cloudCounters
    }

    /// Runs every (group, task) whose key is not in `skip`; calls `finished` after each.
    /// Group by group, `concurrency` tasks at a time; or, `interleaved`, task by task with
    /// every group in turn and one run at a time, so a comparison of the groups' speed shares
    /// the machine's drift (each run then appends its own cost line).
    public func run(tasks: [EvalTask], groups: [EvalGroup], output: EvalOutput, skip: Set<String> = [], interleaved: Bool = false,
                    finished: @escaping @Sendable (EvalRecord) -> Void = { _ in }) async throws {
        // A resumed run's device answers (greedy, so exactly what device mode would write again).
        for record in try output.records() where record.mode == .device && record.sweep == .none {
            guard let ids = record.tokenIDs else { continue }
            deviceAnswers.withLock {
                $0[record.taskID] = CollaborationResult(text: record.text, tokens: ids, provenance: Array(repeating: .local, count: ids.count),
                                                        finishReason: "stop", stats: record.stats)
            }
        }
        if interleaved {
            for task in tasks {
                for group in groups where !skip.contains(EvalRecord.key(taskID: task.id, mode: group.mode, sweep: group.sweep)) {
                    try await measured(group, tasks: 1, output: output) {
                        let record = try await runOne(task, group: group)
                        try output.append(record)
                        finished(record)
                    }
                }
            }
            return
        }
        for group in groups {
            let todo = tasks.filter { !skip.contains(EvalRecord.key(taskID: $0.id, mode: group.mode, sweep: group.sweep)) }
            guard !todo.isEmpty else { continue }
            try await measured(group, tasks: todo.count, output: output) {
                try await withThrowingTaskGroup(of: EvalRecord.self) { taskGroup in
                    var next = 0
                    func launch() {
                        let task = todo[next]
                        next += 1
                        taskGroup.addTask { try await self.runOne(task, group: group) }
                    }
                    while next < min(concurrency, todo.count) { launch() }
                    while let record = try await taskGroup.next() {
                        try output.append(record)
                        finished(record)
                        if next < todo.count { launch() }
                    }
                }
            }
        }
    }

    /// Runs `body` (runs of `group` only) and appends what it cost: wall time and the
    /// cloud's counters across it.
    private func measured(_ group: EvalGroup, tasks: Int, output: EvalOutput, _ body: () async throws -> Void) async throws {
        let before = group.mode == .device ? nil : await cloudCounters()
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        var cost = CloudCounters()
        if let before, let after = await cloudCounters() { cost = after - before }
        try output.append(GroupCost(mode: group.mode, sweep: group.sweep, tasks: tasks,
                                    wallSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                                    cloud: cost))
    }

    /// One task under one group: generate, time every committed token, judge.
    public func runOne(_ task: EvalTask, group: EvalGroup) async throws -> EvalRecord {
        let times = Mutex<[ContinuousClock.Instant]>([])
        let stamp: @Sendable (CollaborationEvent) -> Void = { event in
            if case .token = event { times.withLock { $0.append(.now) } }
        }
        let result: CollaborationResult
        var routing: QueryRoutingDecision?
        if group.mode == .queryRouting, let policy = group.options.queryPolicy {
            let known = group.options.sampling.temperature == 0 ? deviceAnswers.withLock { $0[task.id] } : nil
            let key = "\(group.mode.rawValue) \(group.sweep)"
            let budget = queryBudgets.withLock { budgets in
                if let existing = budgets[key] { return existing }
                let made = QueryBudget(share: policy.budget)
                budgets[key] = made
                return made
            }
            (result, routing) = try await QueryRoutingDecoder(device: device, cloud: cloud, options: group.options, policy: policy,
                                                              budget: budget)
                .run(prompt: task.prompt, attempt: known, check: task.selfCheck, emit: stamp)
        } else {
            let decoder = CollaborativeDecoder(device: device, cloud: group.mode == .device ? nil : cloud, options: group.options)
            result = try await decoder.run(prompt: task.prompt, emit: stamp)
            if group.mode == .device { deviceAnswers.withLock { $0[task.id] = result } }
        }
        let stamps = times.withLock { $0 }
        let gaps = zip(stamps.dropFirst(), stamps).map { later, earlier -> Double in
            let d = later - earlier
            return ((Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) * 1e-15) * 100).rounded() / 100
        }
        let verdict = try await task.check(result.text)
        return EvalRecord(taskID: task.id, mode: group.mode, sweep: group.sweep, passed: verdict.passed,
                          tokens: result.stats.generatedTokens, stats: result.stats, tbtSamples: gaps, text: result.text,
                          detail: verdict.detail, routing: routing, tokenIDs: result.tokens)
    }
}

/// A lock-protected value shared by copies of a struct.
final class SharedBox<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<R>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}

/// Appends one JSON line to `path` (created if missing): how results files grow, so an
/// interrupted run loses at most the line it was writing.
public func appendJSONLine(_ value: some Encodable, to path: String, encoder: JSONEncoder = JSONEncoder()) throws {
    var data = try encoder.encode(value)
    data.append(0x0A)
    if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: data)
}
