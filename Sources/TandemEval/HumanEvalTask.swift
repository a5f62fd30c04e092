import Foundation

/// One HumanEval-format problem (`task_id`, `prompt`, `test`, `entry_point`).
public struct HumanEvalProblem: Sendable, Codable, Equatable {
    public var taskID: String
    public var prompt: String
    public var test: String
    public var entryPoint: String

    public init(taskID: String, prompt: String, test: String, entryPoint: String) {
        self.taskID = taskID
        self.prompt = prompt
        self.test = test
        self.entryPoint = entryPoint
    }

    enum CodingKeys: String, CodingKey {
        case prompt, test
        case taskID = "task_id"
        case entryPoint = "entry_point"
    }

    /// The task's number (`HumanEval/17` → 17), for the dev (0–81) / test (82–163) split.
    public var number: Int? { taskID.split(separator: "/").last.flatMap { Int($0) } }

    /// The user message of REFERENCE.md's chat prompt (system: "You are a helpful assistant.").
    public var userMessage: String {
        "Complete the following Python function. Reply with the complete function in one ```python code block.\n\n```python\n\(prompt)```"
    }

    /// Problems from a JSONL file (one object per line; blank lines ignored).
    public static func load(jsonl path: String) throws -> [HumanEvalProblem] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw DatasetError("cannot read \(path): \(error.localizedDescription)")
        }
        return try text.split(separator: "\n").enumerated().compactMap { number, line in
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            do { return try JSONDecoder().decode(HumanEvalProblem.self, from: Data(line.utf8)) } catch {
                throw DatasetError("\(path) line \(number + 1) is not a HumanEval problem: \(error)")
            }
        }
    }
}

public struct DatasetError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
