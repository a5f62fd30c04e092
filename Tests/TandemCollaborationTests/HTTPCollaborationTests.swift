import Foundation
import TandemCloud
import TandemCollaboration
import TandemEngine
import TandemProtocol
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
            // Calls whose answers were used; pipelined bets that lost depend on timing.
            #expect(remote.stats.cloudCalls - remote.stats.droppedCalls == local.stats.cloudCalls - local.stats.droppedCalls)
            #expect(remote.stats.bytesUp > 0 && remote.stats.bytesDown > 0)
        }
    }

    /// Queued verifications hold their connections while they wait in their sessions' lines,
    /// so one client shared by several pipelined generations keeps more than eight open at
    /// once (AsyncHTTPClient's default per host; a request over it waited for a connection and
    /// failed after the connect timeout).
    @Test func moreThanEightWaitingRequestsShareOneClient() async throws {
        let port = try await Self.server.value
        let verifier = HTTPVerifier(url: "http://127.0.0.1:\(port)", apiKey: Self.key, timeout: .seconds(60))
        let context = try await Pair.shared.chatPrompt("Say hi.")
        var sessions: [String] = []
        for _ in 0..<12 { sessions.append(try await verifier.createSession(CreateSessionRequest(context: context)).response.sessionID) }
        // Each bets on a context one token longer than its session holds: it waits until the
        // session closes.
        let waiting = sessions.map { id in
            Task { try? await verifier.verify(session: id, VerifyRequest(contextLength: context.count + 1, draft: [42], topK: 1, queue: true)) }
        }
        try await Task.sleep(for: .seconds(1))
        let began = ContinuousClock.now
        let extra = try await verifier.createSession(CreateSessionRequest(context: context))
        #expect(ContinuousClock.now - began < .seconds(4), "a request beside twelve waiting ones waited for a connection")
        for id in sessions + [extra.response.sessionID] { await verifier.closeSession(id) }
        for task in waiting { #expect(await task.value == nil) }   // ended by the close, not answered
    }

    /// The stateless adapters against `tandem serve`'s OpenAI (vLLM `prompt_logprobs`) and
    /// SGLang endpoints give the same tokens as the Tandem protocol, in speculative and
    /// cloud mode; they send the whole context every call, so more bytes go up.
    @Test(arguments: StatelessVerifier.API.allCases)
    func statelessAdaptersEqualTheTandemProtocol(api: StatelessVerifier.API) async throws {
        let port = try await Self.server.value
        let (device, _) = try await Pair.shared.engines()
        for text in identityPrompts.prefix(2) {
            let prompt = try await Pair.shared.chatPrompt(text)
            for mode in [CollaborationMode.speculative, .cloud] {
                let local = try await Pair.shared.run(prompt, mode: mode)
                let verifier = StatelessVerifier(url: "http://127.0.0.1:\(port)", api: api, apiKey: Self.key, timeout: .seconds(300))
                let decoder = CollaborativeDecoder(device: device, cloud: verifier, options: CollaborationOptions(mode: mode, maxTokens: 24, timeout: 300))
                let remote = try await decoder.run(prompt: prompt)
                #expect(remote.tokens == local.tokens, "\(api) \(mode) \(text)")
                #expect(remote.provenance == local.provenance, "\(api) \(mode) \(text)")
                #expect(remote.stats.warnings.isEmpty, "\(remote.stats.warnings)")
                if mode == .speculative { #expect(remote.stats.bytesUp > local.stats.bytesUp) }
            }
        }
    }

    @Test func statelessAdapterRefusesSamplingAndTheDeviceGoesOn() async throws {
        let port = try await Self.server.value
        let (device, _) = try await Pair.shared.engines()
        let prompt = try await Pair.shared.chatPrompt(identityPrompts[0])
        let decoder = CollaborativeDecoder(device: device, cloud: StatelessVerifier(url: "http://127.0.0.1:\(port)", api: .openAI, apiKey: Self.key),
                                           options: CollaborationOptions(mode: .speculative, maxTokens: 8,
                                                                         sampling: SamplingParameters(temperature: 0.7, seed: 1)))
        let result = try await decoder.run(prompt: prompt)
        #expect(result.tokens.count == 8)
        #expect(result.stats.warnings.contains { $0.contains("greedy") })
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
