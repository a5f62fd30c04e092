import Foundation
import TandemGGUF

/// The state of one catalog model in the cache, as `tandem models verify` reports it.
public struct ModelVerification: Sendable {
    public enum Status: Sendable, Equatable {
        case missing
        /// Present, a valid GGUF, and its sha256 is one the catalog knows.
        case verified
        /// Present and valid, but the catalog states no checksum to compare with.
        case unverified(sha256: String)
        case corrupt(reason: String)
    }

    public let name: String
    public let path: String
    public let status: Status
}

extension ModelStore {
    /// Re-checks every catalog model in the cache: sha256 against the known checksums and
    /// GGUF validity. Reads each file completely.
    public func verifyAll() -> [ModelVerification] {
        catalog.map(verify)
    }

    public func verify(_ entry: ModelEntry) -> ModelVerification {
        let path = cachedPath(of: entry)
        guard FileManager.default.fileExists(atPath: path) else {
            return ModelVerification(name: entry.name, path: path, status: .missing)
        }
        let status: ModelVerification.Status
        do {
            _ = try GGUFFile(path: path)
            let sha = try FileChecks.sha256(ofFile: path)
            if entry.knownChecksums.isEmpty {
                status = .unverified(sha256: sha)
            } else if entry.knownChecksums.contains(sha) {
                status = .verified
            } else {
                status = .corrupt(reason: "sha256 \(sha) matches no known checksum")
            }
        } catch {
            status = .corrupt(reason: Self.oneLine(error))
        }
        return ModelVerification(name: entry.name, path: path, status: status)
    }
}
