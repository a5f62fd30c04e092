import Foundation
import TandemModelStore

/// Resolves a model name or path for a command, fetching a missing catalog model with a
/// progress bar and one line per failed source on stderr (`fetch` returns at once, without
/// any output, when the model is already cached).
func ensureModel(_ nameOrPath: String, store: ModelStore = ModelStore()) async throws -> String {
    if ModelStore.isPath(nameOrPath) { return try store.resolve(nameOrPath) }
    return try await fetchWithProgress(try store.entry(named: nameOrPath), store: store)
}

@discardableResult
func fetchWithProgress(_ entry: ModelEntry, store: ModelStore, force: Bool = false) async throws -> String {
    let bar = ProgressBar(label: entry.name, total: nil)
    let path = try await store.fetch(entry, force: force) { event in
        switch event {
        case .started(let model, let source, let total):
            bar.reset(label: "\(model)", total: total)
            printError("fetching \(model) from \(source)")
        case .progress(_, let completed, let total):
            bar.update(completed: completed, total: total)
        case .sourceFailed(_, let source, let reason):
            bar.reset(label: entry.name, total: nil)
            printError("  source failed, trying the next one: \(source): \(reason)")
        case .finished(_, let path):
            bar.finish()
            printError("  verified and saved to \(path)")
        }
    }
    return path
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
