import Crypto
import Foundation
import TandemGGUF

/// Checks applied to a fetched file before it is given its final name.
enum FileChecks {
    /// sha256 of a file as lowercase hex, read in 4 MiB chunks.
    static func sha256(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ModelStoreError.io(path: path, reason: "cannot open for reading")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk = try handle.read(upToCount: 4 << 20) ?? Data()
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func size(ofFile path: String) throws -> Int64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes[.size] as? NSNumber else {
            throw ModelStoreError.io(path: path, reason: "cannot read file size")
        }
        return size.int64Value
    }

    /// Throws unless the file at `path` is what `source` promises: its size and sha256 when
    /// known, and in every case a GGUF file that parses and validates.
    static func verify(_ path: String, against source: ModelSource) throws {
        let label = source.description
        let size = try size(ofFile: path)
        if let expected = source.size, expected != size {
            throw ModelStoreError.sizeMismatch(source: label, expected: expected, actual: size)
        }
        if let expected = source.sha256 {
            let actual = try sha256(ofFile: path)
            guard actual == expected else {
                throw ModelStoreError.checksumMismatch(source: label, expected: expected, actual: actual)
            }
        }
        do {
            _ = try GGUFFile(path: path)
        } catch {
            throw ModelStoreError.invalidModelFile(source: label, reason: error.description)
        }
    }
}
