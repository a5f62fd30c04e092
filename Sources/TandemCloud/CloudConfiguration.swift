/// Limits and scheduling of a `CloudService`.
public struct CloudConfiguration: Sendable {
    /// The name `/v1/models` and session answers report.
    public var modelName: String
    public var policy: SchedulingPolicy
    /// Tokens one engine step may run (verify-aware policy).
    public var tokenBudget: Int
    public var maxSessions: Int
    /// KV cache bytes all sessions may hold before the least recently used idle ones go.
    public var kvMemoryBytes: Int
    /// Requests queued or running at once; past it `overloaded` (HTTP 429).
    public var maxQueue: Int
    /// Most tokens a context (prompt plus generated) may reach; nil = the model's context length.
    public var maxContextLength: Int?
    /// Most draft tokens in one verification.
    public var maxDraft: Int
    /// Most tokens (unseen context, the one re-run for its row, and the draft) a verification
    /// runs in one pass; a longer one runs its context as a prefill first.
    public var mergeLimit: Int
    /// Most rows a scored prompt returns per step.
    public var maxRowsPerPiece: Int

    public init(modelName: String, policy: SchedulingPolicy = .verifyAware, tokenBudget: Int = 256, maxSessions: Int = 64,
                kvMemoryBytes: Int = 4 << 30, maxQueue: Int = 256, maxContextLength: Int? = nil, maxDraft: Int = 64,
                mergeLimit: Int = 16, maxRowsPerPiece: Int = 64) {
        self.modelName = modelName
        self.policy = policy
        self.tokenBudget = tokenBudget
        self.maxSessions = maxSessions
        self.kvMemoryBytes = kvMemoryBytes
        self.maxQueue = maxQueue
        self.maxContextLength = maxContextLength
        self.maxDraft = maxDraft
        self.mergeLimit = mergeLimit
        self.maxRowsPerPiece = maxRowsPerPiece
    }
}
