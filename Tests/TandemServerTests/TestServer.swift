import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import TandemCloud
import TandemEngine
import TandemServer
import TandemTestSupport

/// One real server per test process: the small real model behind real HTTP on a free port,
/// with an API key.
struct TestServer: Sendable {
    static let apiKey = "test-key"
    var host = "127.0.0.1"
    let port: Int
    let cloud: CloudService
    var base: String { "http://\(host):\(port)" }

    static func start() async throws -> TestServer {
        let engine = try Engine(path: try await TestModel.qwen05.path(), batchInvariant: true)
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(
            modelName: "qwen2.5-coder-0.5b-instruct", tokenBudget: 128, maxSessions: 32, maxQueue: 64))
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = TandemServer.makeApplication(cloud: cloud, configuration: ServerConfiguration(
            host: "127.0.0.1", port: 0, apiKeys: [apiKey], maxBodyBytes: 1 << 20)) { port in continuation.yield(port) }
        Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestServerError.didNotStart }
        return TestServer(port: port, cloud: cloud)
    }

    /// A request; returns the status, the body, and the headers.
    func send(_ method: HTTPMethod, _ path: String, body: String? = nil, bytes: [UInt8]? = nil,
              key: String? = TestServer.apiKey) async throws -> (status: Int, body: String, headers: HTTPHeaders) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        } else if let bytes {
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(300))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), String(buffer: buffer), response.headers)
    }

    func json(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> [String: Any] {
        let answer = try await send(method, path, body: body)
        guard answer.status == 200 || answer.status == 201 else { throw TestServerError.status(answer.status, answer.body) }
        return try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as! [String: Any]
    }
}

enum TestServerError: Error {
    case didNotStart
    case status(Int, String)
}

let sharedServer = Task { try await TestServer.start() }

/// Runs blocking work (a child process, a raw socket read) on a Dispatch thread: the server
/// under test shares this process's cooperative pool, which blocking calls would starve.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}

func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
}
