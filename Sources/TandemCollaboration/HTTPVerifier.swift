import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TandemProtocol

/// A running `tandem serve` reached over HTTP with the Tandem protocol (docs/PROTOCOL.md).
public final class HTTPVerifier: CloudVerifier {
    public let baseURL: String
    public let apiKey: String?
    public let timeout: Duration
    private let client: HTTPClient

    /// - Parameter url: the server's base, e.g. `http://127.0.0.1:8080`.
    public init(url: String, apiKey: String? = nil, timeout: Duration = .seconds(30)) {
        baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.apiKey = apiKey
        self.timeout = timeout
        client = HTTPTransport.client()
    }

    deinit {
        try? client.syncShutdown()
    }

    public func createSession(_ request: CreateSessionRequest) async throws -> Exchange<CreateSessionResponse> {
        try await post(TandemAPI.sessionsPath, request)
    }

    public func verify(session: String, _ request: VerifyRequest) async throws -> Exchange<VerifyResponse> {
        try await post(TandemAPI.verifyPath(session: session), request)
    }

    public func generate(session: String, _ request: SessionGenerateRequest) async throws -> Exchange<SessionGenerateResponse> {
        try await post(TandemAPI.generatePath(session: session), request)
    }

    public func closeSession(_ session: String) async {
        var request = HTTPClientRequest(url: baseURL + TandemAPI.sessionPath(session: session))
        request.method = .DELETE
        authorize(&request)
        _ = try? await client.execute(request, timeout: .seconds(5))
    }

    private func authorize(_ request: inout HTTPClientRequest) {
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
    }

    private func post<Request: Encodable, Response: Decodable>(_ path: String, _ body: Request) async throws -> Exchange<Response> {
        let data: Data
        do { data = try WireJSON.encoder().encode(body) } catch {
            throw VerifierError.transport("cannot encode the request: \(error)")
        }
        let (status, bytes) = try await HTTPTransport.post(client: client, url: baseURL + path, body: data, apiKey: apiKey, timeout: timeout)
        guard (200..<300).contains(status) else {
            if let error = try? JSONDecoder().decode(ErrorResponse.self, from: bytes) {
                throw VerifierError.rejected(error)
            }
            throw VerifierError.transport("HTTP \(status) without a Tandem error body")
        }
        do {
            return Exchange(response: try JSONDecoder().decode(Response.self, from: bytes), bytesUp: data.count, bytesDown: bytes.count)
        } catch {
            throw VerifierError.transport("unreadable answer to \(path): \(error)")
        }
    }
}

/// One JSON POST with a deadline; transport failures become `VerifierError`s.
enum HTTPTransport {
    static func client() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        // A queued verification holds its connection while it waits in its session's line:
        // up to `pipelineDepth` (plus a sync) per generation sharing this client. With
        // AsyncHTTPClient's default of 8, a ninth request waited for a free one and failed
        // after the connect timeout (eight pipelined generations at once lost verifications).
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The status code and body of `POST url` with a JSON `body`.
    static func post(client: HTTPClient, url: String, body: Data, apiKey: String?, timeout: Duration) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) * 1e-18
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(seconds * 1e9)))
            let answer = try await response.body.collect(upTo: 16 << 20)
            return (Int(response.status.code), Data(answer.readableBytesView))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw VerifierError.timedOut(seconds: seconds)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw VerifierError.transport(String(describing: error))
        }
    }
}
