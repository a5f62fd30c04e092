import TandemTestSupport
import Testing
import TandemTokenizer

@Suite("llama.cpp golden ids")
struct GoldenTests {
    @Test("golden directory holds one file per model")
    func goldenFilesExist() throws {
        for model in TestModel.allCases {
            let golden = try GoldenFile.load(model.goldenFileName)
            #expect(!golden.tokenizer.isEmpty, "\(model.goldenFileName) has no tokenizer cases")
        }
    }

    @Test("encode reproduces every golden case (no special parsing, no BOS), decode restores the text",
          arguments: TestModel.allCases)
    func tokenizerCases(model: TestModel) async throws {
        let golden = try GoldenFile.load(model.goldenFileName)
        let tokenizer = try await loadTokenizer(model)
        var passed = 0
        for testCase in golden.tokenizer {
            let ids = try tokenizer.encode(testCase.text)
            #expect(ids == testCase.ids, "\(model): \(testCase.text.debugDescription)")
            let decoded = try tokenizer.decode(testCase.ids)
            #expect(Array(decoded.utf8) == Array(testCase.text.utf8), "\(model): decode of \(testCase.text.debugDescription)")
            if ids == testCase.ids, Array(decoded.utf8) == Array(testCase.text.utf8) { passed += 1 }
        }
        #expect(passed == golden.tokenizer.count)
        print("golden \(model): \(passed)/\(golden.tokenizer.count) cases pass")
    }

    @Test("chat prompts encode to llama.cpp's prompt ids with special tokens parsed",
          arguments: TestModel.allCases)
    func greedyPrompts(model: TestModel) async throws {
        let golden = try GoldenFile.load(model.goldenFileName)
        let tokenizer = try await loadTokenizer(model)
        #expect(!golden.greedy.isEmpty)
        for testCase in golden.greedy {
            #expect(try tokenizer.encode(testCase.prompt, parseSpecial: true) == testCase.promptIDs,
                    "\(model): \(testCase.prompt.debugDescription)")
            #expect(try tokenizer.decode(testCase.promptIDs, renderSpecial: true) == testCase.prompt)
            // Generated text decodes and streams consistently.
            var stream = StreamingDetokenizer(tokenizer: tokenizer)
            let streamed = try stream.append(contentsOf: testCase.continuationIDs) + stream.finish()
            #expect(streamed == (try tokenizer.decode(testCase.continuationIDs)))
        }
    }
}
