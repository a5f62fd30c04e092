import TandemEngine

/// Multi-step integer arithmetic problems generated from a seed (REFERENCE.md): four
/// numbers from 2 to 99 joined by +, − and ×, with one pair of parentheses, e.g.
/// `(23 + 48) * 3 - 17`. The answer is checked exactly against the last `<answer>…</answer>`
/// or `\boxed{…}` in the model's text.
public struct ArithmeticProblem: Sendable, Codable, Equatable {
    public var id: String
    public var question: String
    public var answer: Int

    public init(id: String, question: String, answer: Int) {
        self.id = id
        self.question = question
        self.answer = answer
    }

    /// The user message sent to the model.
    public var prompt: String {
        "Compute \(question). Think step by step, then give the final number in <answer> </answer> tags."
    }

    /// `count` problems from `seed` (the same seed always gives the same problems).
    public static func generate(count: Int, seed: UInt64) -> [ArithmeticProblem] {
        var random = SplitMix64(state: seed)
        return (0..<count).map { index in
            let numbers = (0..<4).map { _ in Int(random.next() % 98) + 2 }
            let operators = (0..<3).map { _ in ["+", "-", "*"][Int(random.next() % 3)] }
            // Parentheses around one adjacent pair of operands: positions 0-1, 1-2 or 2-3.
            let open = Int(random.next() % 3)
            var text = ""
            for i in 0..<4 {
                if i == open { text += "(" }
                text += String(numbers[i])
                if i == open + 1 { text += ")" }
                if i < 3 { text += " \(operators[i]) " }
            }
            return ArithmeticProblem(id: "arith-\(seed)-\(index)", question: text, answer: Self.evaluate(text)!)
        }
    }

    /// Whether `text` ends with this problem's answer (see `extractAnswer`).
    public func isCorrect(_ text: String) -> Bool {
        Self.extractAnswer(text) == answer
    }

    /// The integer in the last `<answer>…</answer>` or `\boxed{…}` (commas, spaces and a
    /// trailing period ignored); nil when there is none or it is not an integer.
    public static func extractAnswer(_ text: String) -> Int? {
        var candidates: [(String.Index, Substring)] = []
        var search = text.startIndex
        while let open = text.range(of: "<answer>", range: search..<text.endIndex),
              let close = text.range(of: "</answer>", range: open.upperBound..<text.endIndex) {
            candidates.append((open.lowerBound, text[open.upperBound..<close.lowerBound]))
            search = close.upperBound
        }
        search = text.startIndex
        while let open = text.range(of: "\\boxed{", range: search..<text.endIndex),
              let close = text.range(of: "}", range: open.upperBound..<text.endIndex) {
            candidates.append((open.lowerBound, text[open.upperBound..<close.lowerBound]))
            search = close.upperBound
        }
        guard let last = candidates.max(by: { $0.0 < $1.0 }) else { return nil }
        var cleaned = last.1.filter { $0 != "," && !$0.isWhitespace && $0 != "$" }
        if cleaned.hasSuffix(".") { cleaned.removeLast() }
        return Int(cleaned)
    }

    /// Value of an expression of integers, + − × and parentheses (nil if malformed).
    public static func evaluate(_ expression: String) -> Int? {
        var parser = ExpressionParser(Array(expression.filter { !$0.isWhitespace }))
        guard let value = parser.sum(), parser.atEnd else { return nil }
        return value
    }
}

/// Recursive descent over `sum := product (('+'|'-') product)*`,
/// `product := atom ('*' atom)*`, `atom := integer | '(' sum ')'`.
struct ExpressionParser {
    let characters: [Character]
    var index = 0

    init(_ characters: [Character]) { self.characters = characters }

    var atEnd: Bool { index == characters.count }

    mutating func sum() -> Int? {
        guard var value = product() else { return nil }
        while index < characters.count, characters[index] == "+" || characters[index] == "-" {
            let op = characters[index]
            index += 1
            guard let rhs = product() else { return nil }
            value = op == "+" ? value + rhs : value - rhs
        }
        return value
    }

    mutating func product() -> Int? {
        guard var value = atom() else { return nil }
        while index < characters.count, characters[index] == "*" || characters[index] == "×" {
            index += 1
            guard let rhs = atom() else { return nil }
            value *= rhs
        }
        return value
    }

    mutating func atom() -> Int? {
        guard index < characters.count else { return nil }
        if characters[index] == "(" {
            index += 1
            guard let value = sum(), index < characters.count, characters[index] == ")" else { return nil }
            index += 1
            return value
        }
        var digits = ""
        while index < characters.count, characters[index].isNumber {
            digits.append(characters[index])
            index += 1
        }
        return Int(digits)
    }
}
