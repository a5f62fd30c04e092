import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import TandemProtocol

extension Response {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        bytes(Data(value.serialized().utf8), contentType: "application/json", status: status)
    }

    static func json(encoding value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return bytes(try encoder.encode(value), contentType: "application/json", status: status)
    }

    static func bytes(_ data: Data, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The JSON error body; `Retry-After: 1` with 429 and 503.
    static func error(_ error: ErrorResponse) -> Response {
        var response = (try? json(encoding: error, status: HTTPResponse.Status(code: error.httpStatus)))
            ?? Response(status: .internalServerError)
        if error.httpStatus == 429 || error.httpStatus == 503 { response.headers[.retryAfter] = "1" }
        response.headers[.tandemErrorCode] = error.code.rawValue
        return response
    }
}

extension HTTPField.Name {
    /// The error code of an error response, also in the body; the gateway counts it.
    static let tandemErrorCode = HTTPField.Name("X-Tandem-Error")!
}

/// Any error a handler throws, as the error body the client gets.
func errorResponse(for error: any Error) -> ErrorResponse {
    switch error {
    case let error as ErrorResponse: return error
    case let error as DecodingError: return ErrorResponse(.invalidRequest, describe(error))
    case is NIOTooManyBytesError: return ErrorResponse(.payloadTooLarge, "the request body is too large")
    case let error as HTTPError where error.status == .contentTooLarge:
        return ErrorResponse(.payloadTooLarge, "the request body is too large")
    case let error as HTTPError where error.status == .notFound: return ErrorResponse(.notFound, "no such route")
    case let error as HTTPError where error.status == .methodNotAllowed: return ErrorResponse(.methodNotAllowed, "method not allowed")
    case let error as HTTPError where (400..<500).contains(error.status.code):
        return ErrorResponse(.invalidRequest, error.body ?? error.status.reasonPhrase)
    case is CancellationError: return ErrorResponse(.unavailable, "the request was cancelled")
    default: return ErrorResponse(.internalError, "internal error: \(error)")
    }
}

/// A decoding error in one line: what is wrong, and where.
func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return keys.isEmpty ? "body" : keys.joined(separator: ".")
    }
    switch error {
    case .typeMismatch(let type, let context): return "\(path(context)): expected \(type); \(context.debugDescription)"
    case .valueNotFound(let type, let context): return "\(path(context)): missing \(type)"
    case .keyNotFound(let key, let context): return "missing field '\(key.stringValue)' in \(path(context))"
    case .dataCorrupted(let context):
        if let underlying = context.underlyingError as NSError?, context.codingPath.isEmpty {
            return "invalid JSON: \(underlying.localizedDescription)"
        }
        return "\(path(context)): \(context.debugDescription)"
    @unknown default: return "invalid request body"
    }
}

/// Reads the body (at most `limit` bytes) and decodes it as JSON.
func decodeBody<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
    var request = request
    let buffer = try await request.collectBody(upTo: limit)
    guard buffer.readableBytes > 0 else { throw ErrorResponse(.invalidRequest, "the request body is empty; JSON expected") }
    return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
}
