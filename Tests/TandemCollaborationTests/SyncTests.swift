import Synchronization
import TandemCollaboration
import TandemEngine
import TandemProtocol
import Testing

/// The real in-process cloud, recording every verification it is sent and, when asked,
/// stating another merge limit when a session opens.
final class RecordingCloud: CloudVerifier {
    let inner: any CloudVerifier
    let stated: Int??
    private let requests = Mutex<[VerifyRequest]>([])

    /// - Parameter stated: `.none` passes the cloud's session answer on as it is; `.some(limit)`
    ///   replaces its merge limit (`.some(nil)`: the cloud states none).
    init(_ inner: any CloudVerifier, stating stated: Int?? = .none) {
        self.inner = inner
        self.stated = stated
    }

    var verifications: [VerifyRequest] { requests.withLock { $0 } }
    /// Tokens each sync (a verification of nothing) carried.
    var syncSizes: [Int] { verifications.filter(\.draft.isEmpty).map(\.append.count) }

    func createSession(_ request: CreateSessionRequest) async throws -> Exchange<CreateSessionResponse> {
        var exchange = try await inner.createSession(request)
        if case .some(let limit) = stated { exchange.response.mergeLimit = limit }
        return exchange
    }

    func verify(session: String, _ request: VerifyRequest) async throws -> Exchange<VerifyResponse> {
        requests.withLock { $0.append(request) }
        return try await inner.verify(session: session, request)
    }

    func generate(session: String, _ request: SessionGenerateRequest) async throws -> Exchange<SessionGenerateResponse> {
        try await inner.generate(session: session, request)
    }

    func closeSession(_ session: String) async { await inner.closeSession(session) }
}

extension Pair {
    /// A tandem generation, one chunk in flight at a time, through a `RecordingCloud`
    /// returned with the result.
    func runRecorded(_ prompt: [TokenID], stating stated: Int?? = .none, maxTokens: Int, policy: OffloadPolicy,
                     syncThreshold: Int?) async throws -> (CollaborationResult, RecordingCloud) {
        var recorder: RecordingCloud?
        let result = try await run(prompt, mode: .tandem, maxTokens: maxTokens, policy: policy, syncThreshold: syncThreshold,
                                   pipelineDepth: 1) { inner in
            let wrapped = RecordingCloud(inner, stating: stated)
            recorder = wrapped
            return wrapped
        }
        return (result, recorder!)
    }
}

@Suite struct SyncThresholdTests {
    /// By default the device syncs one token less than the merge limit the cloud states (the
    /// session runs its last token again for the row: one pass), 15 when it states none; a
    /// threshold the caller sets wins.
    @Test(arguments: [(stated: 6, set: nil, expected: 5), (stated: nil, set: nil, expected: 15), (stated: 6, set: 3, expected: 3)] as [(Int?, Int?, Int)])
    func syncsFillTheMergeLimitTheCloudStates(stated: Int?, set: Int?, expected: Int) async throws {
        let policy = OffloadPolicy(riskThreshold: 0.3, budget: 1)
        var sizes: [Int] = []
        for text in identityPrompts.prefix(4) {
            let prompt = try await Pair.shared.chatPrompt(text)
            let (result, recorder) = try await Pair.shared.runRecorded(prompt, stating: .some(stated), maxTokens: 96, policy: policy,
                                                                       syncThreshold: set)
            #expect(result.stats.warnings.isEmpty)
            let recorded = recorder.syncSizes
            #expect(recorded.count == result.stats.syncCalls)
            sizes += recorded
        }
        // A sync goes once `expected` committed tokens are unseen; a verdict can commit
        // several at once, so some carry more.
        #expect(sizes.min() == expected, "\(sizes)")
    }
}
