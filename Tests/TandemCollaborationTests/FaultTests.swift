import Foundation
import Synchronization
import TandemCloud
import TandemCollaboration
import TandemEngine
import TandemProtocol
import Testing

/// Injects faults into the real in-process cloud: the calls still reach the real service
/// unless the fault says otherwise.
final class FaultyCloud: CloudVerifier {
    enum Fault: Sendable {
        /// Every call fails as if the connection were refused.
        case down
        /// The cloud forgets the session (as eviction does) before verification number `n`.
        case evictBefore(Int)
        /// From verification number `n` on, every one takes `seconds` longer (a paused cloud).
        case stallFrom(Int, seconds: Double)
    }

    let inner: any CloudVerifier
    let service: CloudService
    let fault: Fault
    private let verifications = Mutex(0)

    init(_ inner: any CloudVerifier, service: CloudService, fault: Fault) {
        self.inner = inner
        self.service = service
        self.fault = fault
    }

    func createSession(_ request: CreateSessionRequest) async throws -> Exchange<CreateSessionResponse> {
        if case .down = fault { throw VerifierError.transport("connection refused (injected)") }
        return try await inner.createSession(request)
    }

    func verify(session: String, _ request: VerifyRequest) async throws -> Exchange<VerifyResponse> {
        let n = verifications.withLock { $0 += 1; return $0 }
        switch fault {
        case .down: throw VerifierError.transport("connection refused (injected)")
        case .evictBefore(let k) where k == n:
            // A pipelined call may come while an earlier one holds the session: evict it
            // as soon as it is idle.
            for _ in 0..<10_000 {
                do { _ = try service.closeSession(session); break } catch let error where error.code == .sessionBusy {
                    try await Task.sleep(for: .milliseconds(1))
                } catch { break }
            }
        case .stallFrom(let k, let seconds) where n >= k: try await Task.sleep(for: .seconds(seconds))
        default: break
        }
        return try await inner.verify(session: session, request)
    }

    func generate(session: String, _ request: SessionGenerateRequest) async throws -> Exchange<SessionGenerateResponse> {
        if case .down = fault { throw VerifierError.transport("connection refused (injected)") }
        return try await inner.generate(session: session, request)
    }

    func closeSession(_ session: String) async { await inner.closeSession(session) }
}

@Suite(.serialized) struct FaultTests {
    let text = "Compute (23 + 48) * 3 - 17. Think step by step."

    @Test func cloudDownFromTheStartDegradesToDevice() async throws {
        let prompt = try await Pair.shared.chatPrompt(text)
        let (_, service) = try await Pair.shared.engines()
        let device = try await Pair.shared.run(prompt, mode: .device)
        for mode in [CollaborationMode.tandem, .speculative, .cloud] {
            let result = try await Pair.shared.run(prompt, mode: mode, policy: OffloadPolicy(riskThreshold: 0.3, budget: 1)) {
                FaultyCloud($0, service: service, fault: .down)
            }
            #expect(result.tokens == device.tokens, "\(mode)")
            #expect(!result.stats.warnings.isEmpty, "\(mode)")
            #expect(result.finishReason == device.finishReason)
        }
    }

    @Test func unreachableServerOverHTTPDegradesToDevice() async throws {
        let prompt = try await Pair.shared.chatPrompt(text)
        let (device, _) = try await Pair.shared.engines()
        let alone = try await Pair.shared.run(prompt, mode: .device)
        // A port nothing listens on: the connection is refused at once.
        let verifier = HTTPVerifier(url: "http://127.0.0.1:9", timeout: .seconds(5))
        let decoder = CollaborativeDecoder(device: device, cloud: verifier, options: CollaborationOptions(
            mode: .speculative, maxTokens: 24, timeout: 5))
        let result = try await decoder.run(prompt: prompt)
        #expect(result.tokens == alone.tokens)
        #expect(result.stats.warnings.contains { $0.contains("unreachable") || $0.contains("without the cloud") })
    }

    @Test func evictedSessionIsResyncedWithoutChangingTheAnswer() async throws {
        let prompt = try await Pair.shared.chatPrompt(text)
        let (_, service) = try await Pair.shared.engines()
        let clean = try await Pair.shared.run(prompt, mode: .speculative)
        let evicted = try await Pair.shared.run(prompt, mode: .speculative) {
            FaultyCloud($0, service: service, fault: .evictBefore(2))
        }
        #expect(evicted.tokens == clean.tokens)
        #expect(evicted.provenance == clean.provenance)
        #expect(evicted.stats.warnings.contains { $0.contains("lost the session") })
    }

    @Test func pausedCloudTimesOutAndKeepsEveryToken() async throws {
        let prompt = try await Pair.shared.chatPrompt(text)
        let (device, service) = try await Pair.shared.engines()
        let alone = try await Pair.shared.run(prompt, mode: .device)
        let options = CollaborationOptions(mode: .tandem, maxTokens: 24, policy: OffloadPolicy(riskThreshold: 0, budget: 1), timeout: 1)
        let decoder = CollaborativeDecoder(device: device, cloud: FaultyCloud(InProcessVerifier(service: service), service: service,
                                                                              fault: .stallFrom(2, seconds: 3)), options: options)
        let result = try await decoder.run(prompt: prompt)
        // Every position is filled exactly once, in order, whatever the cloud did.
        #expect(result.tokens.count == result.provenance.count)
        #expect(result.tokens.count == alone.tokens.count || result.finishReason == "stop")
        #expect(result.provenance.contains(.unverified))
        #expect(result.stats.unverifiedTokens > 0)
        #expect(result.stats.warnings.contains { $0.contains("verification failed") })
    }
}
