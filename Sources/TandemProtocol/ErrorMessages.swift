/// Every error the Tandem protocol (and the server's other routes) can answer with. The raw
/// value is the wire `code`; each has one HTTP status.
public enum ErrorCode: String, Codable, Sendable, CaseIterable {
    /// Malformed JSON, a wrong type, a value out of range.
    case invalidRequest = "invalid_request"
    /// A token id outside the vocabulary.
    case tokenOutOfRange = "token_out_of_range"
    /// The session does not exist (never created, or closed).
    case sessionNotFound = "session_not_found"
    /// The session was evicted to free memory: create a new one with the full context.
    case sessionEvicted = "session_evicted"
    /// `context_length` is not what the cloud holds; `error.context_length` says what it holds.
    case contextMismatch = "context_mismatch"
    /// The session already has a request in flight.
    case sessionBusy = "session_busy"
    /// The context (with the new tokens) would exceed the model's context length.
    case contextFull = "context_full"
    /// Too many tokens in one request.
    case tooManyTokens = "too_many_tokens"
    /// The request body is larger than the server accepts.
    case payloadTooLarge = "payload_too_large"
    /// `protocol_version` is not one this server speaks.
    case unsupportedVersion = "unsupported_version"
    /// Missing or wrong API key.
    case unauthorized = "invalid_api_key"
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    /// The queue is full or no session slot is free: retry after `Retry-After` seconds.
    case overloaded = "overloaded"
    /// The server is shutting down.
    case unavailable = "unavailable"
    case internalError = "internal_error"

    public var httpStatus: Int {
        switch self {
        case .invalidRequest, .tokenOutOfRange, .tooManyTokens, .contextFull, .unsupportedVersion: 400
        case .unauthorized: 401
        case .sessionNotFound, .sessionEvicted, .notFound: 404
        case .methodNotAllowed: 405
        case .contextMismatch, .sessionBusy: 409
        case .payloadTooLarge: 413
        case .overloaded: 429
        case .internalError: 500
        case .unavailable: 503
        }
    }

    /// OpenAI's `error.type` for this code.
    public var errorType: String {
        switch self {
        case .unauthorized: "authentication_error"
        case .sessionNotFound, .sessionEvicted, .notFound: "not_found_error"
        case .overloaded: "rate_limit_error"
        case .internalError, .unavailable: "server_error"
        default: "invalid_request_error"
        }
    }
}

/// The error body of every non-2xx answer, OpenAI's shape:
/// `{"error": {"message", "type", "param", "code"}}`, plus `context_length` for
/// `context_mismatch`.
public struct ErrorResponse: Codable, Sendable, Equatable, Error {
    public struct Detail: Codable, Sendable, Equatable {
        public var message: String
        public var type: String
        public var param: String?
        public var code: ErrorCode
        /// For `context_mismatch`: the tokens the cloud holds.
        public var contextLength: Int?

        enum CodingKeys: String, CodingKey {
            case message, type, param, code
            case contextLength = "context_length"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(message, forKey: .message)
            try c.encode(type, forKey: .type)
            try c.encode(param, forKey: .param)   // null, as OpenAI sends it
            try c.encode(code, forKey: .code)
            try c.encodeIfPresent(contextLength, forKey: .contextLength)
        }
    }

    public var error: Detail

    public init(_ code: ErrorCode, _ message: String, param: String? = nil, contextLength: Int? = nil) {
        error = Detail(message: message, type: code.errorType, param: param, code: code, contextLength: contextLength)
    }

    public var code: ErrorCode { error.code }
    public var httpStatus: Int { error.code.httpStatus }
}
