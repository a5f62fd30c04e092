import ArgumentParser
import Foundation
import TandemGGUF

/// `tandem inspect MODEL [--tensors] [--json]`: what a GGUF file holds.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's architecture, hyper-parameters, tokenizer and tensor types.",
        discussion: "Exits 0 for a valid file; for an invalid one prints a one-line error and exits 1.")

    @Argument(help: "Model name or path to a .gguf file.")
    var model: String

    @Flag(help: "List every tensor.")
    var tensors = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let path = try await ensureModel(model)
        let file = try GGUFFile(path: path)
        let report = ModelReport(file: file, includeTensors: tensors)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text)
        }
    }
}

/// The facts `inspect` shows, shaped for JSON.
struct ModelReport: Encodable {
    struct TypeSummary: Encodable {
        var type: String
        var tensors: Int
        var bytes: Int
    }

    struct Tensor: Encodable {
        var name: String
        var type: String
        var shape: [Int]
        var bytes: Int
    }

    var path: String
    var ggufVersion: UInt32
    var fileBytes: Int
    var architecture: String?
    var name: String?
    var hyperParameters: [String: String]
    var tokenizer: [String: String]
    var tensorCount: Int
    var tensorTypes: [TypeSummary]
    var tensors: [Tensor]?

    init(file: GGUFFile, includeTensors: Bool) {
        path = file.path
        ggufVersion = file.version
        fileBytes = file.fileSize
        architecture = file.metadata["general.architecture"]?.stringValue
        name = file.metadata["general.name"]?.stringValue
        let prefix = (architecture ?? "") + "."
        var hyper: [String: String] = [:]
        var tokenizer: [String: String] = [:]
        for key in file.metadata.keys {
            guard let value = file.metadata[key] else { continue }
            let shown: String
            if case .array(let type, let elements) = value, elements.count > 8 {
                shown = "\(elements.count) × \(type)"
            } else {
                shown = value.summary.replacingOccurrences(of: "\n", with: "\\n")
            }
            if !prefix.isEmpty, key.hasPrefix(prefix) {
                hyper[String(key.dropFirst(prefix.count))] = shown
            } else if key.hasPrefix("tokenizer.") {
                tokenizer[String(key.dropFirst(10))] = shown
            }
        }
        hyperParameters = hyper
        self.tokenizer = tokenizer
        tensorCount = file.tensors.count
        var byType: [GGMLType: TypeSummary] = [:]
        for tensor in file.tensors {
            byType[tensor.type, default: TypeSummary(type: tensor.type.name, tensors: 0, bytes: 0)].tensors += 1
            byType[tensor.type]!.bytes += tensor.byteCount
        }
        tensorTypes = byType.values.sorted { $0.bytes > $1.bytes }
        tensors = includeTensors ? file.tensors.map { Tensor(name: $0.name, type: $0.type.name, shape: $0.shape, bytes: $0.byteCount) } : nil
    }

    var text: String {
        var lines = ["\(path)", "  GGUF v\(ggufVersion), \(fileBytes) bytes, \(tensorCount) tensors"]
        lines.append("  architecture: \(architecture ?? "(none)")  name: \(name ?? "(none)")")
        lines.append("hyper-parameters:")
        lines += hyperParameters.keys.sorted().map { "  \($0) = \(hyperParameters[$0]!)" }
        lines.append("tokenizer:")
        lines += tokenizer.keys.sorted().map { "  \($0) = \(tokenizer[$0]!)" }
        lines.append("tensor types:")
        lines += tensorTypes.map { String(format: "  %-6@ %4d tensors %10.1f MB", $0.type, $0.tensors, Double($0.bytes) / 1e6) }
        if let tensors {
            lines.append("tensors:")
            lines += tensors.map { "  \($0.name)  \($0.type)  \($0.shape)  \($0.bytes) bytes" }
        }
        return lines.joined(separator: "\n")
    }
}
