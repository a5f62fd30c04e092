import Foundation
import TandemEngine
import TandemEval
import TandemModelStore
import TandemTestSupport
import Testing

/// The check query routing runs on the device's own answer: the prompt's examples, in the sandbox.
@Suite struct ExampleCheckTests {
    let check = ExampleCheck(sandbox: PythonSandbox(limits: .init(wallSeconds: 10, cpuSeconds: 10, memoryBytes: 512 << 20)))

    static let prompt = """
        def add_one(x):
            \"\"\"Adds one.
            >>> add_one(1)
            2
            add_one(-1) == 0
            add_one(2) ➞ 3
            add_one(x) = x + 1, for any x
            add_one(10) should return 11.
            \"\"\"

        """

    @Test func countsThePromptsExamplesAnAnswerPasses() async throws {
        let right = try await check.run(prompt: Self.prompt, entryPoint: "add_one", code: "def add_one(x):\n    return x + 1\n")
        #expect(right == .init(examples: 4, passed: 4))
        #expect(right.features == [1, 1])
        let wrong = try await check.run(prompt: Self.prompt, entryPoint: "add_one", code: "def add_one(x):\n    return x + 1 if x < 2 else x\n")
        #expect(wrong == .init(examples: 4, passed: 2))
        #expect(wrong.features == [1, 0.5])
    }

    @Test func brokenAnswersFailEveryExampleAndPromptsWithoutExamplesHaveNone() async throws {
        for code in ["def add_one(x) return x", "def other(x):\n    return x + 1\n", "import sys\nsys.exit(3)\n",
                     "def add_one(x):\n    while True: pass\n", "def add_one(x):\n    raise ValueError(x)\n",
                     "import sys\nfor _ in range(5000): print('noise ' * 20, file=sys.stderr)\ndef add_one(x):\n    return -5\n"] {
            let result = try await check.run(prompt: Self.prompt, entryPoint: "add_one", code: code)
            #expect(result == .init(examples: 4, passed: 0), "\(code)")
        }
        let none = try await check.run(prompt: "def f(x):\n    \"\"\"Returns x.\"\"\"\n", entryPoint: "f", code: "def f(x):\n    return x\n")
        #expect(none == .init(examples: 0, passed: 0))
        #expect(none.features == [0, 0])
        #expect(try await check.features(prompt: "Reverse a string in Python.", answer: "```python\ndef r(s): return s[::-1]\n```") == [0, 0])
    }

    @Test func humanEvalsCanonicalSolutionsPassTheirPromptsExamples() async throws {
        // 128 prompts have examples (366 in all); three are wrong in the docstring itself.
        let problems = try await Dataset.problems()
        let solutions = try await Dataset.canonical()
        let tasks = try EvalTask.humanEval(problems, tokenizer: try Engine(path: try await ModelStore().ensure(TestModel.qwen05.rawValue), threads: 1).tokenizer)
        var withExamples = 0, examples = 0, short: [String] = []
        for (problem, task) in zip(problems, tasks) {
            let functions = problem.prompt.dropFirst(problem.preamble.count)
            let answer = "```python\n\(functions)\(solutions[problem.taskID]!)```"
            let result = try await check.run(prompt: problem.prompt, entryPoint: problem.entryPoint, code: problem.code(forAnswer: answer))
            if result.examples > 0 { withExamples += 1 }
            examples += result.examples
            if result.passed < result.examples { short.append(problem.taskID) }
            if problem.taskID == "HumanEval/82" { #expect(try await task.selfCheck?(answer) == [1, 1]) }
        }
        #expect(withExamples == 128 && examples == 366, "\(withExamples) prompts with \(examples) examples")
        #expect(short == ["HumanEval/47", "HumanEval/130", "HumanEval/148"])
    }
}
