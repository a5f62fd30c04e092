import ArgumentParser
import Foundation
import TandemModelStore

/// `tandem models list|fetch|path|verify`.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, fetch, locate and verify the named models.",
        subcommands: [List.self, Fetch.self, Path.self, Verify.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the catalog and what is in the cache.")

        func run() throws {
            let store = ModelStore()
            print("models in \(store.modelsDirectory)")
            for entry in store.catalog {
                let path = store.cachedPath(of: entry)
                let present = FileManager.default.fileExists(atPath: path)
                let state = present ? "present" : "missing"
                print("\(entry.name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(state.padding(toLength: 8, withPad: " ", startingAt: 0)) \(entry.summary)")
            }
        }
    }

    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download models into the cache (checked by sha256).")

        @Argument(help: "Model names (see `tandem models list`).")
        var names: [String]

        @Flag(help: "Download again even if present.")
        var force = false

        func run() async throws {
            let store = ModelStore()
            let entries = try names.map { try store.entry(named: $0) }
            for entry in entries {
                let path = try await fetchWithProgress(entry, store: store, force: force)
                print(path)
            }
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the absolute path of a cached model; exit 1 if it is not there.")

        @Argument(help: "Model name.")
        var name: String

        func run() throws {
            print(try ModelStore().resolve(name))
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-check every cached model's sha256 and GGUF structure.")

        func run() throws {
            var failed = false
            for result in ModelStore().verifyAll() {
                switch result.status {
                case .missing: print("\(result.name): missing")
                case .verified: print("\(result.name): ok (sha256 matches)")
                case .unverified(let sha): print("\(result.name): valid GGUF, no known checksum (sha256 \(sha))")
                case .corrupt(let reason):
                    failed = true
                    print("\(result.name): CORRUPT: \(reason)")
                }
            }
            if failed { throw ExitCode.failure }
        }
    }
}
