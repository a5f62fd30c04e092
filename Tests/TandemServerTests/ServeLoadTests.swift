import AsyncHTTPClient
import Testing
import TandemCLI

/// `tandem bench serve`'s load generator against the real server, briefly.
@Suite struct ServeLoadTests {
    @Test func simulatedDevicesVerifyUnderBothSchedulers() async throws {
        let server = try await sharedServer.value
        let load = ServeLoad(url: server.base, apiKey: TestServer.apiKey, sessions: 3, duration: 2, chunk: 4, context: 16,
                             client: HTTPClient.shared)
        let original = try await load.policy()
        #expect(original == "verify-aware")
        var results: [ServeLoad.Result] = []
        for policy in ["verify-aware", "fcfs"] {
            try await load.setPolicy(policy)
            #expect(try await load.policy() == policy)
            results.append(try await load.run(label: policy))
        }
        try await load.setPolicy(original)
        for result in results {
            #expect(result.errors == 0, "\(result.scheduler)")
            #expect(result.verifications > 0, "\(result.scheduler)")
            #expect(result.latency_ms.p50 > 0 && result.latency_ms.p99 >= result.latency_ms.p50, "\(result.scheduler)")
            #expect(result.packing_factor > 0 && result.packing_factor <= 1, "\(result.scheduler)")
            #expect(result.request_bytes_per_verification > 50 && result.response_bytes_per_verification > 50)
        }
        // FCFS runs one 5-token chunk per step of the 128-token budget (other suites share the
        // server, so only roughly).
        #expect(results[1].packing_factor < 0.2)
    }
}
