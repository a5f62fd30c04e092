import ArgumentParser
import AsyncHTTPClient
import Foundation

/// `tandem bench serve --url URL …`: simulated devices against a running server.
struct ServeBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load a running tandem server with devices that verify draft chunks back to back.",
        discussion: """
        Each device opens a session with --context random tokens, verifies one chunk to prefill \
        it, then (in the timed window) sends --chunk-token drafts as fast as the answers come \
        back. packing_factor comes from the server's /metrics over the window. With \
        --scheduler-compare the same load runs under the verify-aware scheduler and then under \
        FCFS (switched through /tandem/v1/scheduler), and the server's policy is restored.
        """)

    @Option(help: "Base URL of the server, e.g. http://127.0.0.1:8080.")
    var url: String

    @Option(name: .customLong("api-key"), help: "Bearer key, if the server needs one.")
    var apiKey: String?

    @Option(help: "Simulated devices, one session each.")
    var sessions = 16

    @Option(help: "Seconds of load per scheduler.")
    var duration: Double = 60

    @Option(help: "Draft tokens per verification.")
    var chunk = 8

    @Option(help: "Context tokens each session starts with.")
    var context = 512

    @Flag(help: "Run the load under verify-aware and under FCFS scheduling and print both.")
    var schedulerCompare = false

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard sessions >= 1 else { throw ValidationError("--sessions must be at least 1") }
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
        guard (1...64).contains(chunk) else { throw ValidationError("--chunk must be in 1...64") }
        guard context >= 1 else { throw ValidationError("--context must be at least 1") }
    }

    func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: sessions + 4)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        let load = ServeLoad(url: base, apiKey: apiKey, sessions: sessions, duration: duration, chunk: chunk, context: context, client: client)
        do {
            try await measure(load)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func measure(_ load: ServeLoad) async throws {
        let original = try await load.policy()
        var results: [ServeLoad.Result] = []
        if schedulerCompare {
            for policy in ["verify-aware", "fcfs"] {
                try await load.setPolicy(policy)
                if !json { printError("bench serve: \(policy), \(sessions) sessions, \(duration) s …") }
                results.append(try await load.run(label: policy))
            }
            try await load.setPolicy(original)
        } else {
            results.append(try await load.run(label: original))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            if schedulerCompare {
                struct Comparison: Encodable {
                    var verify_aware: ServeLoad.Result
                    var fcfs: ServeLoad.Result
                    var verified_tokens_ratio: Double
                }
                let ratio = results[1].verified_tokens_per_s > 0 ? results[0].verified_tokens_per_s / results[1].verified_tokens_per_s : 0
                print(String(decoding: try encoder.encode(Comparison(verify_aware: results[0], fcfs: results[1], verified_tokens_ratio: ratio)), as: UTF8.self))
            } else {
                print(String(decoding: try encoder.encode(results[0]), as: UTF8.self))
            }
            return
        }
        print("scheduler      verif/s  verified tok/s  p50 ms  p99 ms  packing  errors  bytes up/down")
        for r in results {
            print(String(format: "%-13@ %8.1f %15.1f %7.0f %7.0f %8.2f %7d  %.0f/%.0f", r.scheduler as NSString, r.verifications_per_s,
                         r.verified_tokens_per_s, r.latency_ms.p50, r.latency_ms.p99, r.packing_factor, r.errors,
                         r.request_bytes_per_verification, r.response_bytes_per_verification))
        }
        if results.count == 2, results[1].verified_tokens_per_s > 0 {
            print(String(format: "verify-aware / fcfs verified tokens/s: %.2f×", results[0].verified_tokens_per_s / results[1].verified_tokens_per_s))
        }
    }
}
