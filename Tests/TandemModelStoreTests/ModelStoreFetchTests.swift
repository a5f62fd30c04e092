import Foundation
import Testing
import TandemModelStore

/// Fetching through real HTTP from a local server: checks, fall-through, atomic rename.
@Suite struct ModelStoreFetchTests {
    let served: TemporaryDirectory
    let home: TemporaryDirectory
    let server: LocalHTTPServer
    let good = tinyModel(seed: 1)

    init() throws {
        served = try TemporaryDirectory()
        home = try TemporaryDirectory()
        try good.bytes.write(to: URL(fileURLWithPath: served.path + "/good.gguf"))
        try tinyModel(seed: 2).bytes.write(to: URL(fileURLWithPath: served.path + "/other.gguf"))
        try Data("this is not a model".utf8).write(to: URL(fileURLWithPath: served.path + "/junk.gguf"))
        server = try LocalHTTPServer(directory: served.path)
    }

    func store(_ sources: [ModelSource]) -> (ModelStore, ModelEntry) {
        let entry = ModelEntry(name: "tiny", summary: "test model", sources: sources)
        return (ModelStore(home: home.path, catalog: [entry]), entry)
    }

    func url(_ path: String) -> ModelSource.Location { .url(server.baseURL + path) }

    @Test func fetchesAndVerifiesChecksum() async throws {
        defer { home.cleanUp(); served.cleanUp() }
        let (store, entry) = store([ModelSource(url("/good.gguf"), sha256: good.sha256, size: Int64(good.bytes.count))])
        let events = Recorder()
        let path = try await store.fetch(entry) { event in
            if case .finished = event { events.record("finished") }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == good.bytes)
        #expect(events.all == ["finished"])
        #expect(try store.resolve("tiny") == path)
        #expect(store.verify(entry).status == .verified)
        #expect(home.files(under: "models").filter { !$0.hasPrefix(".") } == ["tiny.gguf"])
    }

    @Test func checksumMismatchFallsThroughAndLeavesNoFile() async throws {
        defer { home.cleanUp(); served.cleanUp() }
        let (store, entry) = store([
            ModelSource(url("/other.gguf"), sha256: good.sha256),
            ModelSource(url("/good.gguf"), sha256: good.sha256),
        ])
        let failures = Recorder()
        let path = try await store.fetch(entry) { event in
            if case .sourceFailed(_, _, let reason) = event { failures.record(reason) }
        }
        let reasons = failures.all
        #expect(reasons.count == 1)
        #expect(reasons.first?.contains("does not match the expected") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == good.bytes)
    }

    @Test func interruptedDownloadNeverLooksComplete() async throws {
        defer { home.cleanUp(); served.cleanUp() }
        let (store, entry) = store([ModelSource(url("/cut/good.gguf"))])
        await #expect(throws: ModelStoreError.self) { try await store.fetch(entry) }
        #expect(!FileManager.default.fileExists(atPath: store.cachedPath(of: entry)))
        #expect(home.files(under: "models").filter { $0.hasSuffix(".gguf") || $0.hasSuffix(".part") }.isEmpty)
        #expect(throws: ModelStoreError.self) { try store.resolve("tiny") }
    }

    @Test func unreachableSourceFallsThroughWithOneLineReason() async throws {
        defer { home.cleanUp(); served.cleanUp() }
        let (store, entry) = store([
            ModelSource(.url("http://127.0.0.1:1/refused.gguf")),
            ModelSource(.url("http://host.invalid/model.gguf")),
            ModelSource(url("/missing.gguf")),
            ModelSource(url("/good.gguf"), sha256: good.sha256),
        ])
        let failures = Recorder()
        _ = try await store.fetch(entry) { event in
            if case .sourceFailed(_, _, let reason) = event { failures.record(reason) }
        }
        let reasons = failures.all
        #expect(reasons.count == 3)
        #expect(reasons.allSatisfy { !$0.contains("\n") && !$0.isEmpty })
        #expect(reasons[2].contains("404"))
    }

    @Test func sourceWithoutChecksumMustStillBeValidGGUF() async throws {
        defer { home.cleanUp(); served.cleanUp() }
        let (store, entry) = store([ModelSource(url("/junk.gguf"))])
        do {
            try await store.fetch(entry)
            Issue.record("a non-GGUF download was accepted")
        } catch let error as ModelStoreError {
            guard case .allSourcesFailed(_, let reasons) = error else { throw error }
            #expect(reasons.count == 1)
            #expect(reasons[0].contains("not a valid GGUF"))
        }
        #expect(!FileManager.default.fileExists(atPath: store.cachedPath(of: entry)))
    }

    @Test func concurrentFetchesShareOneDownload() async throws {
        defer { home.cleanUp(); served.cleanUp() }
        let (store, entry) = store([ModelSource(url("/good.gguf"), sha256: good.sha256)])
        let starts = Recorder()
        let paths = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await store.fetch(entry) { event in
                        if case .started = event { starts.record("started") }
                    }
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(paths).count == 1)
        #expect(starts.all.count == 1)
    }

    @Test func corruptCachedFileIsReportedByVerify() async throws {
        defer { home.cleanUp(); served.cleanUp() }
        let (store, entry) = store([ModelSource(url("/good.gguf"), sha256: good.sha256)])
        let path = try await store.fetch(entry)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        guard case .corrupt = store.verify(entry).status else {
            Issue.record("a modified file passed verification")
            return
        }
    }
}
