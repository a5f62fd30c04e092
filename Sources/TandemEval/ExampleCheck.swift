import Foundation

/// What the device can check of its own answer without the hidden tests: the examples
/// written in the task's prompt, run against the answer's function in the sandbox.
///
/// An example is a doctest (`>>> f(2)` and its output on the next line) or a line naming
/// the function with literal arguments and a literal result after `==`, `==>`, `=>`, `➞`,
/// `->`, `=`, `:` or "should return" (`prime_length('Hello') == True`). Calls whose arguments
/// name anything but the function and Python's builtins are prose (`tri(n) = 1 + n / 2`) and
/// are skipped, and so are results that are not literals. Each example runs with a 2 s alarm;
/// an answer that does not define the function, raises, loops or returns something else
/// fails it. 128 of HumanEval's 164 prompts have such examples, 366 in all; the canonical
/// solutions pass every one but on three prompts whose docstrings are wrong themselves
/// (HumanEval/47, /130, /148).
///
/// Query routing reads the result as two features (`featureNames`): whether the prompt has
/// examples (1 or 0) and the share of them the answer passes (0 without examples).
public struct ExampleCheck: Sendable {
    public static let featureNames = ["has_examples", "examples_passed"]

    public struct Result: Sendable, Equatable {
        public var examples: Int
        public var passed: Int

        public init(examples: Int, passed: Int) {
            self.examples = examples
            self.passed = passed
        }

        public var features: [Float] { examples == 0 ? [0, 0] : [1, Float(passed) / Float(examples)] }
    }

    public var sandbox: PythonSandbox

    public init(sandbox: PythonSandbox = PythonSandbox()) {
        self.sandbox = sandbox
    }

    /// Runs the examples in `prompt` (the text holding the docstring) against `code`, which
    /// should define `entryPoint`. Throws only when the checker itself did not run.
    public func run(prompt: String, entryPoint: String, code: String) async throws -> Result {
        func literal(_ text: String) -> String { "'" + Data(text.utf8).base64EncodedString() + "'" }
        let program = Self.checker + "\nmain(" + [prompt, entryPoint, code].map(literal).joined(separator: ", ") + ")\n"
        let result = try await sandbox.run(program)
        let lines = result.stderrTail.split(separator: "\n").map(String.init)
        guard let header = lines.last(where: { $0.hasPrefix("tandem-examples ") }), let count = Int(header.dropFirst("tandem-examples ".count)) else {
            throw DatasetError("the example check did not run (\(result.outcome.rawValue), status \(result.exitStatus)): \(result.stderrTail.suffix(300))")
        }
        // An answer that exits or is killed part-way fails the examples it did not reach.
        let passed = lines.filter { $0 == "tandem-example ok" }.count
        return Result(examples: count, passed: min(passed, count))
    }

    /// The check for a free-form prompt (`tandem generate`): the function is the first one
    /// the prompt defines (`def name(`), the code the answer's first fenced block. A prompt
    /// that defines no function has no examples.
    public func features(prompt: String, answer: String) async throws -> [Float] {
        guard let def = prompt.range(of: #"def [A-Za-z_][A-Za-z0-9_]*\("#, options: .regularExpression) else { return Result(examples: 0, passed: 0).features }
        let entryPoint = String(prompt[def].dropFirst(4).dropLast())
        return try await run(prompt: prompt, entryPoint: entryPoint, code: HumanEvalProblem.firstCodeBlock(answer)).features
    }

    /// Python: extracts the examples, then executes the answer and runs them, reporting on
    /// stderr (`tandem-examples N`, then `tandem-example ok|fail` per example).
    static let checker = #"""
import ast, base64, builtins, doctest, io, signal, sys

SEPARATORS = ("==>", "=>", "==", "\u279e", "->", "\u2192", "should return", "=", ":")

def say(line):
    # The answer's own output goes elsewhere (below), so these lines stay in the tail.
    print(line, file=sys.__stderr__, flush=True)

def call_end(line, start):
    depth = 0
    for i in range(start, len(line)):
        if line[i] in "([{":
            depth += 1
        elif line[i] in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
    return -1

def closed(call, entry):
    try:
        tree = ast.parse(call, mode="eval")
    except SyntaxError:
        return False
    if not isinstance(tree.body, ast.Call):
        return False
    return all(node.id == entry or hasattr(builtins, node.id) for node in ast.walk(tree) if isinstance(node, ast.Name))

def literal(text):
    text = text.strip().rstrip(".,;").strip()
    try:
        return (ast.literal_eval(text),)
    except Exception:
        return (text.lower() == "true",) if text.lower() in ("true", "false") else None

def output(want):
    # A doctest's output runs to the next blank line, which may take in prose after it.
    whole = literal(want)
    return whole if whole is not None or not want.strip() else literal(want.strip().splitlines()[0])

def examples(doc, entry):
    found = []
    for example in doctest.DocTestParser().get_examples(doc):
        want = output(example.want)
        if want is not None and closed(example.source.strip(), entry):
            found.append((example.source.strip(), want[0]))
    for raw in doc.splitlines():
        line = raw.strip()
        at = line.find(entry + "(")
        if line.startswith(">>>") or at < 0 or (at > 0 and (line[at - 1].isalnum() or line[at - 1] == "_")):
            continue
        end = call_end(line, at + len(entry))
        if end < 0:
            continue
        call, rest = line[at:end], line[end:].strip()
        for separator in SEPARATORS:
            if rest.startswith(separator):
                want = literal(rest[len(separator):])
                if want is not None and closed(call, entry):
                    found.append((call, want[0]))
                break
    return found

def same(got, want):
    if isinstance(want, float) or isinstance(got, float):
        try:
            return abs(float(got) - float(want)) <= 1e-6 * max(1.0, abs(float(want)))
        except Exception:
            return False
    return got == want

def main(prompt, entry, code):
    prompt, entry, code = (base64.b64decode(x).decode("utf-8") for x in (prompt, entry, code))
    found = examples(prompt, entry)
    say("tandem-examples %d" % len(found))
    if not found:
        return
    namespace = {"__name__": "tandem_answer"}
    sys.stderr = io.StringIO()
    try:
        exec(compile(code, "answer.py", "exec"), namespace)
        namespace[entry]
    except BaseException:
        return
    def expire(*_):
        raise TimeoutError()
    signal.signal(signal.SIGALRM, expire)
    for call, want in found:
        signal.alarm(2)
        try:
            ok = same(eval(call, dict(namespace)), want)
        except BaseException:
            ok = False
        finally:
            signal.alarm(0)
        say("tandem-example ok" if ok else "tandem-example fail")
"""#
}
