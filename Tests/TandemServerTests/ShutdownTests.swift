import Foundation
import ServiceLifecycle
import Testing
import TandemCloud
import TandemEngine
import TandemProtocol
import TandemServer
import TandemTestSupport

/// Graceful shutdown (what SIGINT/SIGTERM trigger in `tandem serve`): requests in flight
/// finish, new ones are refused, the driver stops.
@Suite struct ShutdownTests {
    @Test func inFlightRequestsFinishAndNewOnesAreRefused() async throws {
        let engine = try Engine(path: try await TestModel.qwen05.path(), batchInvariant: true)
        let cloud = CloudService(engine: engine, configuration: CloudConfiguration(modelName: "m"))
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        // A loopback address no other test listens on: once this server stops, nothing in the
        // process (another test's server handed the same free port, or a client connection
        // whose ephemeral port happens to equal it) can answer a connect to it.
        let host = "127.0.0.7"
        let app = TandemServer.makeApplication(cloud: cloud, configuration: ServerConfiguration(host: host, port: 0)) { continuation.yield($0) }
        let group = TandemServer.serviceGroup(app)
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let server = TestServer(host: host, port: try #require(await iterator.next()), cloud: cloud)

        let inFlight = Task {
            try await server.send(.POST, "/v1/completions", body: #"{"prompt": "def fib(n):", "max_tokens": 40, "temperature": 0}"#, key: nil)
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)   // a loaded CI machine can be slow to start it
        while !cloud.prometheusText().contains("tandem_queue_depth 1\n"), clock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let began = clock.now
        await group.triggerGracefulShutdown()
        let answer = try await inFlight.value
        let answered = clock.now
        #expect(answer.status == 200, "\(answer.body)")
        #expect(answer.body.contains("\"completion_tokens\":40"))
        try await running.value
        let stopped = clock.now
        #expect(throws: RawConnectionError.self) { try RawConnection(host: host, port: server.port) }   // nobody listens
        print("graceful shutdown: in-flight answer after \(answered - began), stopped after \(stopped - began), refused after \(clock.now - began)")
        #expect(throws: ErrorResponse.self) { try cloud.createSession(CreateSessionRequest()) }
    }
}
