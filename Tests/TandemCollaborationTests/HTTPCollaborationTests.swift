import Foundation
import TandemCloud
import TandemCollaboration
import TandemEngine
import TandemServer
import Testing

/// The device against a real `tandem serve` over real HTTP (the pair's 1.5B cloud service
/// behind the Hummingbird application on a free port).
@Suite(.serialized) struct HTTPCollaborationTests {
    static let key = "device-key"

    static let server = Task { () throws -> Int in
        let (_, cloud) = try await Pair.shared.engines()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = TandemServer.makeApplication(cloud: cloud, configuration: ServerConfiguration(
            host: "127.0.0.1", port: 0, apiKeys: [key], maxBodyBytes: 1 << 20)) { continuation.yield($0) }
        Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return port
    }

    @Test func speculativeOverHTTPEqualsInProcessAndCountsTheSameBytes() async throws {
        let port = try await Self.server.value
        let (device, _) = try await Pair.shared.engines()
        for text in identityPrompts.prefix(3) {
            let prompt = try await Pair.shared.chatPrompt(text)
            let local = try await Pair.shared.run(prompt, mode: .speculative)
            let decoder = CollaborativeDecoder(device: device, cloud: HTTPVerifier(url: "http://127.0.0.1:\(port)", apiKey: Self.key, timeout: .seconds(300)),
                                               options: CollaborationOptions(mode: .speculative, maxTokens: 24, timeout: 300))
            let remote = try await decoder.run(prompt: prompt)
            #expect(remote.tokens == local.tokens, "\(text)")
            #expect(remote.provenance == local.provenance)
            #expect(remote.stats.warnings.isEmpty)
            #expect(remote.stats.cloudCalls == local.stats.cloudCalls)
            #expect(remote.stats.bytesUp > 0 && remote.stats.bytesDown > 0)
        }
    }

    @Test func wrongAPIKeyDegradesToDeviceWithAWarning() async throws {
        let port = try await Self.server.value
        let (device, _) = try await Pair.shared.engines()
        let prompt = try await Pair.shared.chatPrompt(identityPrompts[1])
        let alone = try await Pair.shared.run(prompt, mode: .device)
        let decoder = CollaborativeDecoder(device: device, cloud: HTTPVerifier(url: "http://127.0.0.1:\(port)", apiKey: "wrong"),
                                           options: CollaborationOptions(mode: .speculative, maxTokens: 24))
        let result = try await decoder.run(prompt: prompt)
        #expect(result.tokens == alone.tokens)
        #expect(result.stats.warnings.contains { $0.contains("invalid_api_key") })
    }
}
