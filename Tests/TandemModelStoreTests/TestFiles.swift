import Crypto
import Foundation
import Synchronization
import TandemGGUF

/// A fresh temporary directory, removed by `cleanUp()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "tandem-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: path)
    }

    func files(under subdirectory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path + "/" + subdirectory)) ?? []
    }
}

/// A small valid GGUF file with a given seed (so two differ), and its sha256.
func tinyModel(seed: Int) -> (bytes: Data, sha256: String) {
    var writer = GGUFWriter()
    writer.set("general.architecture", .string("llama"))
    writer.set("test.seed", .int64(Int64(seed)))
    writer.addTensor("weights", shape: [32, 64], floats: (0..<(32 * 64)).map { Float($0 &* (seed + 1) % 97) })
    let bytes = Data(writer.serialized())
    let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    return (bytes, sha)
}

/// Collects strings from `@Sendable` callbacks.
final class Recorder: Sendable {
    private let entries = Mutex<[String]>([])
    func record(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}
