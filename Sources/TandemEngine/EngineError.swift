import TandemGGUF

/// Everything the engine refuses, with what and where.
public enum EngineError: Error, Equatable, Sendable, CustomStringConvertible {
    case file(GGUFError)
    case unsupportedArchitecture(String)
    case invalidHyperParameter(key: String, value: String, reason: String)
    case missingTensor(String)
    case tensorShape(tensor: String, expected: [Int], found: [Int])
    case unsupportedTensorType(tensor: String, type: String)
    case tokenOutOfRange(id: TokenID, vocabularySize: Int)
    case contextFull(length: Int, adding: Int, limit: Int)
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .file(let error): error.description
        case .unsupportedArchitecture(let name):
            "unsupported architecture '\(name)' (supported: \(Architecture.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .invalidHyperParameter(let key, let value, let reason):
            "hyper-parameter \(key) = \(value) is invalid: \(reason)"
        case .missingTensor(let name): "tensor '\(name)' is missing"
        case .tensorShape(let tensor, let expected, let found):
            "tensor '\(tensor)' has shape \(found), expected \(expected)"
        case .unsupportedTensorType(let tensor, let type):
            "tensor '\(tensor)' has type \(type), which the kernels do not support"
        case .tokenOutOfRange(let id, let size):
            "token id \(id) is outside the vocabulary of \(size) tokens"
        case .contextFull(let length, let adding, let limit):
            "context full: \(length) cached + \(adding) new tokens exceeds the limit of \(limit)"
        case .invalidRequest(let reason): "invalid request: \(reason)"
        }
    }
}
