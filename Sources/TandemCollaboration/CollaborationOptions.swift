import TandemEngine
import TandemTokenizer

/// Who writes the tokens.
public enum CollaborationMode: String, Sendable, CaseIterable, Codable {
    /// The device model alone.
    case device
    /// The cloud model alone (the device only streams what the cloud wrote).
    case cloud
    /// Standard speculative decoding: every drafted token is verified, in chunks.
    case speculative
    /// Synera-style selective offloading: only risky chunks are verified.
    case tandem
    /// Seed 3's token-level routing: a router on the device's hidden state picks tokens for
    /// the cloud to decide (needs `CollaborationOptions.router`).
    case tokenRouting = "token-routing"
    /// Seed 3's query-level routing: the device answers in full, then a trained policy keeps
    /// the answer or hands the query to the cloud (`QueryRoutingDecoder`).
    case queryRouting = "query-routing"
}

/// Where a committed token came from.
public enum Provenance: String, Sendable, Codable {
    /// Drafted by the device and kept without verification.
    case local
    /// Drafted by the device and accepted by the cloud.
    case verified
    /// Written by the cloud in place of a rejected draft token.
    case corrected
    /// Written by the cloud (cloud mode).
    case cloud
    /// Drafted by the device, sent for verification, committed without an answer (fault).
    case unverified
}

/// How a `CollaborativeDecoder` runs.
public struct CollaborationOptions: Sendable {
    public var mode: CollaborationMode
    public var maxTokens: Int
    /// Device sampling (greedy by default). With temperature > 0 verification uses
    /// speculative acceptance (the cloud session samples with the same parameters).
    public var sampling: SamplingParameters
    /// Which tokens go to the cloud (`tandem`, `token-routing`); `speculative` verifies
    /// everything. In `token-routing` the risk threshold applies to the router's score.
    public var policy: OffloadPolicy
    /// The token router of `token-routing` mode.
    public var router: TokenRouter?
    /// The policy of `query-routing` mode.
    public var queryPolicy: QueryRoutingPolicy?
    /// Most draft tokens in one verification chunk.
    public var chunkSize: Int
    /// Keep drafting while a verification is in flight.
    public var stallFree: Bool
    /// Most tokens drafted past an in-flight chunk. The device drafts until the verdict
    /// arrives, so the cap binds only when the cloud is slow (its prompt prefill, a busy
    /// server); the default covers the prefill of a HumanEval prompt on one core. Measured
    /// at rtt 80 ms (HumanEval/82–93, interleaved runs): 64 against 16 cut tandem's mean time
    /// between tokens by 4.6 % (56.0 → 53.4 ms) for 11 % more device compute (drafts thrown
    /// away after rejections); a lower cap saves battery.
    public var lookahead: Int
    /// Most chunks in flight at once. Past the first, a chunk is sent as soon as it is drafted,
    /// on the bet that the chunks before it are accepted whole (the cloud queues it behind
    /// them and checks the bet); a lost bet costs the cloud nothing and the device resends
    /// the chunk when it becomes the next. 1: a chunk goes only once the one before it is
    /// answered. Needs `stallFree` and a cloud that keeps context. The committed tokens do
    /// not depend on it.
    public var pipelineDepth: Int
    /// Speculate past an in-flight chunk only when the predicted probability that the whole
    /// chunk is accepted (product of per-token acceptance probabilities) is at least this.
    public var minimumSpeculation: Double
    /// Seconds to wait for one cloud answer before retrying, then going on alone.
    public var timeout: Double
    /// With nothing to verify, send the committed tokens the cloud has not seen once there
    /// are this many, so a verification carries little more than its chunk (0: never). nil:
    /// one less than the merge limit the cloud states when the session opens (its batched
    /// kernels' tile, 16 for `tandem serve`), so that with the token the session runs again
    /// for its row a sync is one pass; `fallbackSyncThreshold` if it states none. Below it a
    /// verification with its append costs one pass anyway, and an earlier sync only adds a
    /// pass that the next verification may have to wait for; one token more takes two.
    public var syncThreshold: Int?
    /// The sync threshold with a cloud that states no merge limit: one pass of
    /// `tandem serve`'s default.
    public static let fallbackSyncThreshold = 15
    /// Tokens per cloud `generate` call in cloud mode.
    public var cloudStep: Int
    /// Tokens that end generation (nil: the tokenizer's end-of-generation tokens).
    public var stopTokens: Set<TokenID>?

    public init(mode: CollaborationMode = .tandem, maxTokens: Int = 256, sampling: SamplingParameters = .greedy,
                policy: OffloadPolicy = OffloadPolicy(), chunkSize: Int = 4, stallFree: Bool = true, lookahead: Int = 64,
                minimumSpeculation: Double = 0.05, timeout: Double = 10, syncThreshold: Int? = nil, cloudStep: Int = 16, stopTokens: Set<TokenID>? = nil,
                router: TokenRouter? = nil, queryPolicy: QueryRoutingPolicy? = nil, pipelineDepth: Int = 4) {
        self.mode = mode
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.policy = policy
        self.chunkSize = chunkSize
        self.stallFree = stallFree
        self.lookahead = lookahead
        self.minimumSpeculation = minimumSpeculation
        self.timeout = timeout
        self.syncThreshold = syncThreshold
        self.cloudStep = cloudStep
        self.stopTokens = stopTokens
        self.router = router
        self.queryPolicy = queryPolicy
        self.pipelineDepth = pipelineDepth
    }
}
