import Foundation
import TandemCollaboration
import TandemEngine

/// One sweep point: `budget=0.1` (the mode's policy budget), `threshold=0.4`, or none ("-").
public struct SweepPoint: Sendable, Hashable, Codable, CustomStringConvertible {
    public var key: String?
    public var value: Double?

    public init(key: String? = nil, value: Double? = nil) {
        self.key = key
        self.value = value
    }

    public static let none = SweepPoint()

    public var description: String {
        guard let key, let value else { return "-" }
        return "\(key)=\(Self.format(value))"
    }

    static func format(_ value: Double) -> String {
        var text = String(format: "%.4f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// `budget=0.05,0.1,0.25` → four points with key `budget`.
    public static func parse(_ spec: String) throws -> [SweepPoint] {
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, ["budget", "threshold"].contains(parts[0]) else {
            throw DatasetError("--sweep must look like budget=0.05,0.1 or threshold=0.3,0.5 (got \(spec))")
        }
        return try parts[1].split(separator: ",").map { text in
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, value >= 0 else {
                throw DatasetError("--sweep value \(text) is not a non-negative number")
            }
            if parts[0] == "budget" && value > 1 { throw DatasetError("--sweep budget \(text) must be in 0...1") }
            return SweepPoint(key: parts[0], value: value)
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        if text == "-" { self = .none; return }
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let value = Double(parts[1]) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad sweep point \(text)"))
        }
        self.init(key: parts[0], value: value)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// One line of `results.jsonl`: one task under one mode and sweep point.
public struct EvalRecord: Sendable, Codable, Equatable {
    public var taskID: String
    public var mode: CollaborationMode
    public var sweep: SweepPoint
    public var passed: Bool
    /// Generated tokens.
    public var tokens: Int
    public var stats: CollaborationStats
    /// Time between consecutive committed tokens as the harness saw them (ms).
    public var tbtSamples: [Double]
    public var text: String
    /// Why the check failed (sandbox outcome and traceback tail), when it did.
    public var detail: String?
    /// query-routing: the decision and the baselines' scores.
    public var routing: QueryRoutingDecision?
    /// The generated token ids (a resumed run's query-routing reuses the device's).
    public var tokenIDs: [TokenID]?

    public init(taskID: String, mode: CollaborationMode, sweep: SweepPoint, passed: Bool, tokens: Int,
                stats: CollaborationStats, tbtSamples: [Double], text: String, detail: String? = nil,
                routing: QueryRoutingDecision? = nil, tokenIDs: [TokenID]? = nil) {
        self.taskID = taskID
        self.mode = mode
        self.sweep = sweep
        self.passed = passed
        self.tokens = tokens
        self.stats = stats
        self.tbtSamples = tbtSamples
        self.text = text
        self.detail = detail
        self.routing = routing
        self.tokenIDs = tokenIDs
    }

    enum CodingKeys: String, CodingKey {
        case mode, sweep, passed, tokens, stats, text, detail, routing
        case taskID = "task_id"
        case tbtSamples = "tbt_samples_ms"
        case tokenIDs = "token_ids"
    }

    /// The key `--resume` uses to skip finished work.
    public var key: String { EvalRecord.key(taskID: taskID, mode: mode, sweep: sweep) }
    public static func key(taskID: String, mode: CollaborationMode, sweep: SweepPoint) -> String { "\(taskID)|\(mode.rawValue)|\(sweep)" }
}

/// Cloud-side counters from `/metrics` (or `CloudService.prometheusText()`); differences of
/// two readings give what one group of runs cost the cloud.
public struct CloudCounters: Sendable, Codable, Equatable {
    /// Sum of engine step times (`tandem_step_seconds_sum`): the cloud's busy time.
    public var busySeconds: Double = 0
    /// Tokens run in engine steps (`tandem_step_tokens_total`).
    public var tokens: Double = 0
    public var steps: Double = 0
    /// `tandem_packing_factor` sum and count (mean = sum / count).
    public var packingSum: Double = 0
    public var packingCount: Double = 0

    public init(busySeconds: Double = 0, tokens: Double = 0, steps: Double = 0, packingSum: Double = 0, packingCount: Double = 0) {
        self.busySeconds = busySeconds
        self.tokens = tokens
        self.steps = steps
        self.packingSum = packingSum
        self.packingCount = packingCount
    }

    enum CodingKeys: String, CodingKey {
        case busySeconds = "busy_s", tokens, steps, packingSum = "packing_sum", packingCount = "packing_count"
    }

    /// Reads the counters from Prometheus text; missing series count as 0.
    public init(prometheus text: String) {
        let values = Self.samples(prometheus: text)
        self.init(busySeconds: values["tandem_step_seconds_sum"] ?? 0, tokens: values["tandem_step_tokens_total"] ?? 0,
                  steps: values["tandem_steps_total"] ?? 0, packingSum: values["tandem_packing_factor_sum"] ?? 0,
                  packingCount: values["tandem_packing_factor_count"] ?? 0)
    }

    /// Every unlabelled sample of Prometheus text, by series name.
    public static func samples(prometheus text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
        return values
    }

    public static func - (a: CloudCounters, b: CloudCounters) -> CloudCounters {
        CloudCounters(busySeconds: a.busySeconds - b.busySeconds, tokens: a.tokens - b.tokens, steps: a.steps - b.steps,
                      packingSum: a.packingSum - b.packingSum, packingCount: a.packingCount - b.packingCount)
    }

    public static func + (a: CloudCounters, b: CloudCounters) -> CloudCounters {
        CloudCounters(busySeconds: a.busySeconds + b.busySeconds, tokens: a.tokens + b.tokens, steps: a.steps + b.steps,
                      packingSum: a.packingSum + b.packingSum, packingCount: a.packingCount + b.packingCount)
    }
}

/// One line of `cloud.jsonl`: what one run of a mode and sweep point cost the cloud (a
/// resumed run appends another line for the same group; they add up).
public struct GroupCost: Sendable, Codable, Equatable {
    public var mode: CollaborationMode
    public var sweep: SweepPoint
    public var tasks: Int
    public var wallSeconds: Double
    public var cloud: CloudCounters

    public init(mode: CollaborationMode, sweep: SweepPoint, tasks: Int, wallSeconds: Double, cloud: CloudCounters) {
        self.mode = mode
        self.sweep = sweep
        self.tasks = tasks
        self.wallSeconds = wallSeconds
        self.cloud = cloud
    }

    enum CodingKeys: String, CodingKey { case mode, sweep, tasks, cloud; case wallSeconds = "wall_s" }
}

/// The figures of one mode and sweep point (`summary.json`).
public struct GroupSummary: Sendable, Codable, Equatable {
    public var mode: CollaborationMode
    public var sweep: SweepPoint
    public var tasks = 0
    public var passed = 0
    public var passAt1: Double = 0
    /// Offloaded ÷ generated tokens, over all tasks.
    public var offloadRatio: Double = 0
    public var generatedTokensPerTask: Double = 0
    public var uploadedTokensPerTask: Double = 0
    public var bytesUpPerTask: Double = 0
    public var bytesDownPerTask: Double = 0
    public var cloudCallsPerTask: Double = 0
    public var ttftMilliseconds = Percentiles()
    /// Time between committed tokens, pooled over every token of every task.
    public var tbtMilliseconds = Percentiles()
    /// Device model compute per generated token.
    public var deviceMillisecondsPerToken: Double = 0
    public var deviceSecondsTotal: Double = 0
    /// Cloud engine busy time (sum of step times) and tokens it ran, from its metrics.
    public var cloudBusySeconds: Double?
    public var cloudTokensProcessed: Double?
    public var cloudBusySecondsPerOutputToken: Double?
    public var packingFactor: Double?
    public var wallSeconds: Double?
    /// Tasks on which the cloud failed at least once (a warning, or tokens committed unverified).
    public var faultyTasks = 0
    /// (pass@1 − device) ÷ (cloud − device) on the same tasks; nil without both baselines or when they tie.
    public var gapClosed: Double?

    enum CodingKeys: String, CodingKey {
        case mode, sweep, tasks, passed
        case passAt1 = "pass_at_1"
        case offloadRatio = "offload_ratio"
        case generatedTokensPerTask = "generated_tokens_per_task"
        case uploadedTokensPerTask = "uploaded_tokens_per_task"
        case bytesUpPerTask = "bytes_up_per_task"
        case bytesDownPerTask = "bytes_down_per_task"
        case cloudCallsPerTask = "cloud_calls_per_task"
        case ttftMilliseconds = "ttft_ms"
        case tbtMilliseconds = "tbt_ms"
        case deviceMillisecondsPerToken = "device_ms_per_token"
        case deviceSecondsTotal = "device_s_total"
        case cloudBusySeconds = "cloud_busy_s"
        case cloudTokensProcessed = "cloud_tokens_processed"
        case cloudBusySecondsPerOutputToken = "cloud_busy_s_per_output_token"
        case packingFactor = "packing_factor"
        case wallSeconds = "wall_s"
        case faultyTasks = "tasks_with_cloud_faults"
        case gapClosed = "gap_closed"
    }
}

/// Summary maths over `results.jsonl` and `cloud.jsonl`.
public enum EvalSummary {
    /// One summary per (mode, sweep point), in the order groups first appear in `records`.
    public static func summarize(_ records: [EvalRecord], costs: [GroupCost] = []) -> [GroupSummary] {
        var order: [String] = []
        var groups: [String: [EvalRecord]] = [:]
        for record in records {
            let key = "\(record.mode.rawValue)|\(record.sweep)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(record)
        }
        // Baselines per task for the gap closed.
        let devicePass = Dictionary(records.filter { $0.mode == .device }.map { ($0.taskID, $0.passed) }, uniquingKeysWith: { a, _ in a })
        let cloudPass = Dictionary(records.filter { $0.mode == .cloud }.map { ($0.taskID, $0.passed) }, uniquingKeysWith: { a, _ in a })
        return order.map { key in
            let group = groups[key]!
            var s = GroupSummary(mode: group[0].mode, sweep: group[0].sweep)
            s.tasks = group.count
            s.passed = group.filter(\.passed).count
            s.passAt1 = Double(s.passed) / Double(s.tasks)
            let n = Double(s.tasks)
            let generated = group.reduce(0) { $0 + $1.stats.generatedTokens }
            let offloaded = group.reduce(0) { $0 + $1.stats.offloadedTokens }
            s.offloadRatio = generated == 0 ? 0 : Double(offloaded) / Double(generated)
            s.generatedTokensPerTask = Double(generated) / n
            s.uploadedTokensPerTask = Double(group.reduce(0) { $0 + $1.stats.uploadedTokens }) / n
            s.bytesUpPerTask = Double(group.reduce(0) { $0 + $1.stats.bytesUp }) / n
            s.bytesDownPerTask = Double(group.reduce(0) { $0 + $1.stats.bytesDown }) / n
            s.cloudCallsPerTask = Double(group.reduce(0) { $0 + $1.stats.cloudCalls }) / n
            s.ttftMilliseconds = Percentiles(group.map(\.stats.ttftMilliseconds))
            s.tbtMilliseconds = Percentiles(group.flatMap(\.tbtSamples))
            let deviceMs = group.reduce(0.0) { $0 + $1.stats.deviceMilliseconds }
            s.deviceSecondsTotal = deviceMs / 1000
            s.faultyTasks = group.filter { !$0.stats.warnings.isEmpty || $0.stats.unverifiedTokens > 0 }.count
            s.deviceMillisecondsPerToken = generated == 0 ? 0 : deviceMs / Double(generated)
            let mine = costs.filter { $0.mode == s.mode && $0.sweep == s.sweep }
            if !mine.isEmpty {
                let cloud = mine.reduce(CloudCounters()) { $0 + $1.cloud }
                s.cloudBusySeconds = cloud.busySeconds
                s.cloudTokensProcessed = cloud.tokens
                s.cloudBusySecondsPerOutputToken = generated == 0 ? 0 : cloud.busySeconds / Double(generated)
                s.packingFactor = cloud.packingCount > 0 ? cloud.packingSum / cloud.packingCount : nil
                s.wallSeconds = mine.reduce(0) { $0 + $1.wallSeconds }
            }
            // Gap closed on the tasks that have all three.
            let shared = group.filter { devicePass[$0.taskID] != nil && cloudPass[$0.taskID] != nil }
            if !shared.isEmpty {
                let d = Double(shared.filter { devicePass[$0.taskID]! }.count)
                let c = Double(shared.filter { cloudPass[$0.taskID]! }.count)
                let m = Double(shared.filter(\.passed).count)
                s.gapClosed = c == d ? nil : (m - d) / (c - d)
            }
            return s
        }
    }

    /// The Markdown table of `summary.md`.
    public static func markdown(_ summaries: [GroupSummary]) -> String {
        func f(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }
        func opt(_ v: Double?, _ digits: Int = 1, scale: Double = 1) -> String { v.map { f($0 * scale, digits) } ?? "–" }
        var lines = [
            "| mode | sweep | pass@1 | passed | offload | gap closed | tokens/task | uploaded tok/task | bytes up/task | TTFT ms (mean) | TBT ms mean | p50 | p95 | p99 | device ms/token | cloud busy s | cloud tokens run | cloud busy ms/output token | packing | cloud faults |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for s in summaries {
            lines.append("| \(s.mode.rawValue) | \(s.sweep) | \(f(100 * s.passAt1))% | \(s.passed)/\(s.tasks) | \(f(100 * s.offloadRatio))% | \(opt(s.gapClosed, 0, scale: 100))\(s.gapClosed == nil ? "" : "%") | \(f(s.generatedTokensPerTask)) | \(f(s.uploadedTokensPerTask)) | \(f(s.bytesUpPerTask, 0)) | \(f(s.ttftMilliseconds.mean, 0)) | \(f(s.tbtMilliseconds.mean)) | \(f(s.tbtMilliseconds.p50)) | \(f(s.tbtMilliseconds.p95)) | \(f(s.tbtMilliseconds.p99)) | \(f(s.deviceMillisecondsPerToken)) | \(opt(s.cloudBusySeconds)) | \(opt(s.cloudTokensProcessed, 0)) | \(opt(s.cloudBusySecondsPerOutputToken, 1, scale: 1000)) | \(opt(s.packingFactor, 3)) | \(s.faultyTasks) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Points not dominated by another (no other has offload ≤ and pass@1 ≥ with one strict),
    /// sorted by offload ratio.
    public static func paretoFront(_ points: [(x: Double, y: Double)]) -> [Int] {
        let indices = points.indices.filter { i in
            !points.indices.contains { j in
                j != i && points[j].x <= points[i].x && points[j].y >= points[i].y
                    && (points[j].x < points[i].x || points[j].y > points[i].y)
            }
        }
        return indices.sorted { points[$0].x < points[$1].x }
    }
}
