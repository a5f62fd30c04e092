import TandemEval
import Testing

@Suite struct ArithmeticTaskTests {
    @Test func generatesTheSameProblemsFromTheSameSeedAndTheirValues() {
        let a = ArithmeticProblem.generate(count: 50, seed: 3)
        #expect(a == ArithmeticProblem.generate(count: 50, seed: 3))
        #expect(a != ArithmeticProblem.generate(count: 50, seed: 4))
        for problem in a {
            #expect(problem.question.filter { $0 == "(" }.count == 1)
            let numbers = problem.question.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            #expect(numbers.count == 4 && numbers.allSatisfy { (2...99).contains($0) }, "\(problem.question)")
            #expect(ArithmeticProblem.evaluate(problem.question) == problem.answer)
        }
    }

    @Test(arguments: [
        ("(23 + 48) * 3 - 17", 196), ("2 * (3 + 4) - 5", 9), ("99 - 98 - (97 * 2)", -193), ("7 * 6 * (5 - 4)", 42),
    ])
    func evaluatesWithPrecedenceAndParentheses(expression: String, value: Int) {
        #expect(ArithmeticProblem.evaluate(expression) == value)
    }

    @Test func rejectsMalformedExpressions() {
        for bad in ["", "(1 + 2", "1 +", "1 + 2)", "a + 1", "()"] { #expect(ArithmeticProblem.evaluate(bad) == nil, "\(bad)") }
    }

    @Test func takesTheLastAnswerTagOrBoxedValue() {
        #expect(ArithmeticProblem.extractAnswer("so <answer>12</answer> no wait <answer> 1,234 </answer>") == 1234)
        #expect(ArithmeticProblem.extractAnswer("<answer>5</answer> finally \\boxed{-7}") == -7)
        #expect(ArithmeticProblem.extractAnswer("\\boxed{8} then <answer>9.</answer>") == 9)
        #expect(ArithmeticProblem.extractAnswer("the answer is 5") == nil)
        #expect(ArithmeticProblem.extractAnswer("<answer>five</answer>") == nil)
        let problem = ArithmeticProblem(id: "x", question: "2 + 3", answer: 5)
        #expect(problem.isCorrect("2 + 3 = 5. <answer>5</answer>"))
        #expect(!problem.isCorrect("<answer>6</answer>"))
    }
}
