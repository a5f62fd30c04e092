import Synchronization
import TandemCollaboration
import TandemProtocol
import Testing

/// The real in-process cloud, stating another merge limit when a session opens and
/// recording how many tokens each sync (a verification of nothing) carries.
final class StatedMergeLimit: CloudVerifier {
    let inner: any CloudVerifier
    let stated: Int?
    private let syncs = Mutex<[Int]>([])

    init(_ inner: any CloudVerifier, stating stated: Int?) {
        self.inner = inner
        self.stated = stated
    }

    var syncSizes: [Int] { syncs.withLock { $0 } }

    func createSession(_ request: CreateSessionRequest) async throws -> Exchange<CreateSessionResponse> {
        var exchange = try await inner.createSession(request)
        exchange.response.mergeLimit = stated
        return exchange
    }

    func verify(session: String, _ request: VerifyRequest) async throws -> Exchange<VerifyResponse> {
        if request.draft.isEmpty { syncs.withLock { $0.append(request.append.count) } }
        return try await inner.verify(session: session, request)
    }

    func generate(session: String, _ request: SessionGenerateRequest) async throws -> Exchange<SessionGenerateResponse> {
        try await inner.generate(session: session, request)
    }

    func closeSession(_ session: String) async { await inner.closeSession(session) }
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
            let box = Mutex<StatedMergeLimit?>(nil)
            let result = try await Pair.shared.run(prompt, mode: .tandem, maxTokens: 96, policy: policy, syncThreshold: set, pipelineDepth: 1) { inner in
                let wrapped = StatedMergeLimit(inner, stating: stated)
                box.withLock { $0 = wrapped }
                return wrapped
            }
            #expect(result.stats.warnings.isEmpty)
            let recorded = box.withLock { $0!.syncSizes }
            #expect(recorded.count == result.stats.syncCalls)
            sizes += recorded
        }
        // A sync goes once `expected` committed tokens are unseen; a verdict can commit
        // several at once, so some carry more.
        #expect(sizes.min() == expected, "\(sizes)")
    }
}
