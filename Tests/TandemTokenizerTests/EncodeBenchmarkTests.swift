import Foundation
import TandemTestSupport
import Testing
import TandemTokenizer

/// Encode/decode throughput. A benchmark, not a unit test: runs only with `TANDEM_BENCHMARK=1`
/// (meaningful with `-c release`), and prints its numbers.
@Suite("encode benchmark", .enabled(if: ProcessInfo.processInfo.environment["TANDEM_BENCHMARK"] == "1"))
struct EncodeBenchmarkTests {
    /// About 4 KB of mixed prose, code and non-Latin text.
    static let sample: String = {
        var generator = SeededGenerator(seed: 2024)
        var text = """
        def fibonacci(n):
            if n < 2:
                return n
            return fibonacci(n - 1) + fibonacci(n - 2)

        The year 2024 had 366 days; I'm sure they'll say it's John's book.

        """
        while text.utf8.count < 4096 { text += RandomText.make(using: &generator) + " " }
        return text
    }()

    @Test("load a tokenizer from its GGUF file", arguments: TestModel.allCases)
    func loadSpeed(model: TestModel) async throws {
        let path = try await modelPath(model.rawValue)
        var tokenizer: Tokenizer?
        let loadTime = try ContinuousClock().measure { tokenizer = try Tokenizer(contentsOf: path) }
        print("benchmark \(model): load \(loadTime) for \(tokenizer?.vocabularySize ?? 0) tokens")
    }

    @Test("encode and decode ~4 KB", arguments: TestModel.allCases)
    func encodeSpeed(model: TestModel) async throws {
        let tokenizer = try await loadTokenizer(model)
        let text = Self.sample
        let clock = ContinuousClock()
        var ids: [TokenID] = []
        let rounds = 50
        let encodeTime = try clock.measure {
            for _ in 0..<rounds { ids = try tokenizer.encode(text) }
        } / rounds
        let decodeTime = try clock.measure {
            for _ in 0..<rounds { _ = try tokenizer.decode(ids) }
        } / rounds
        print("benchmark \(model): \(text.utf8.count) bytes -> \(ids.count) tokens; encode \(encodeTime), decode \(decodeTime)")
        #expect(encodeTime < .milliseconds(10))
    }
}
