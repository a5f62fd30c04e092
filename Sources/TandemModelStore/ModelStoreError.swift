/// Why a model could not be found, fetched or trusted.
public enum ModelStoreError: Error, Sendable, CustomStringConvertible {
    case unknownModel(String, known: [String])
    case notFetched(String)
    case fileNotFound(String)
    case sourceFailed(source: String, reason: String)
    case checksumMismatch(source: String, expected: String, actual: String)
    case sizeMismatch(source: String, expected: Int64, actual: Int64)
    case invalidModelFile(source: String, reason: String)
    case allSourcesFailed(model: String, reasons: [String])
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownModel(let name, let known):
            "unknown model '\(name)' (known: \(known.joined(separator: ", ")); or give a path to a .gguf file)"
        case .notFetched(let name):
            "model '\(name)' is not in the cache; run `tandem models fetch \(name)`"
        case .fileNotFound(let path):
            "no such model file: \(path)"
        case .sourceFailed(let source, let reason):
            "\(source): \(reason)"
        case .checksumMismatch(let source, let expected, let actual):
            "\(source): sha256 \(actual) does not match the expected \(expected)"
        case .sizeMismatch(let source, let expected, let actual):
            "\(source): got \(actual) bytes, expected \(expected)"
        case .invalidModelFile(let source, let reason):
            "\(source): the downloaded file is not a valid GGUF: \(reason)"
        case .allSourcesFailed(let model, let reasons):
            "could not fetch '\(model)' from any source:\n" + reasons.map { "  - " + $0 }.joined(separator: "\n")
        case .io(let path, let reason):
            "\(path): \(reason)"
        }
    }
}
