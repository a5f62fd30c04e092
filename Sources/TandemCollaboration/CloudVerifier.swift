import TandemProtocol

/// The device's view of a cloud: sessions that hold a context, verification of draft chunks
/// and cloud-written tokens. Implementations: `InProcessVerifier` (the cloud code in this
/// process), `HTTPVerifier` (a running `tandem serve`); `EmulatedLink` wraps either to add
/// network delay, bandwidth and loss.
///
/// Every call reports the bytes it moved (the JSON bodies, counted the same way for every
/// transport) so the decoder's statistics do not depend on where the cloud runs.
public protocol CloudVerifier: Sendable {
    func createSession(_ request: CreateSessionRequest) async throws -> Exchange<CreateSessionResponse>
    func verify(session: String, _ request: VerifyRequest) async throws -> Exchange<VerifyResponse>
    func generate(session: String, _ request: SessionGenerateRequest) async throws -> Exchange<SessionGenerateResponse>
    func closeSession(_ session: String) async
    /// Whether the cloud keeps a session's context between calls, so committed tokens sent
    /// ahead (a verify with an empty draft) spare the next verification that work.
    var keepsContext: Bool { get }
}

extension CloudVerifier {
    public var keepsContext: Bool { true }
}

/// A response with the bytes sent and received for it.
public struct Exchange<Response: Sendable>: Sendable {
    public var response: Response
    public var bytesUp: Int
    public var bytesDown: Int

    public init(response: Response, bytesUp: Int, bytesDown: Int) {
        self.response = response
        self.bytesUp = bytesUp
        self.bytesDown = bytesDown
    }
}

/// Why a cloud call failed, as the decoder sees it.
public enum VerifierError: Error, Sendable, CustomStringConvertible {
    /// The cloud answered with a protocol error (session evicted, context mismatch, …).
    case rejected(ErrorResponse)
    /// No answer in time.
    case timedOut(seconds: Double)
    /// Connection refused, reset, or an unreadable answer.
    case transport(String)

    public var description: String {
        switch self {
        case .rejected(let error): "cloud answered \(error.code.rawValue): \(error.error.message)"
        case .timedOut(let seconds): String(format: "no answer from the cloud within %.1f s", seconds)
        case .transport(let reason): "cloud unreachable: \(reason)"
        }
    }

    /// Whether creating a new session with the full context repairs it.
    public var needsResync: Bool {
        guard case .rejected(let error) = self else { return false }
        return [.sessionNotFound, .sessionEvicted, .contextMismatch].contains(error.code)
    }
}
