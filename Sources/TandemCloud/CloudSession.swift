import TandemEngine
import TandemProtocol

/// One device's session: the tokens the cloud holds for it and their keys and values.
///
/// `tokens` is the truth; the cache holds a prefix of it (`cache.length ≤ tokens.count`): a
/// correction or the last generated token joins `tokens` at once and the cache with the next
/// request. Mutated only under the service's lock, or by the driver while the session is busy.
final class CloudSession {
    let id: String
    let cache: KVCache
    var tokens: [TokenID]
    var sampler: Sampler
    /// A request of this session is queued or running.
    var busy = false
    /// The cloud's greedy next token after `tokens[..<length]`, from the last verification;
    /// valid while the session holds `length` tokens.
    var predictedNext: (length: Int, token: TokenID)?
    /// The store's clock at the last use (for LRU eviction).
    var lastUsed: UInt64

    init(id: String, cache: KVCache, tokens: [TokenID], sampler: Sampler, now: UInt64) {
        self.id = id
        self.cache = cache
        self.tokens = tokens
        self.sampler = sampler
        self.lastUsed = now
    }

    /// Tokens from `start` on are what the next forward call must run before new ones: at
    /// least the last context token (whose output row predicts the next token), whose keys
    /// and values are dropped from the cache if it holds them already.
    func rewindForOutput() -> Int {
        precondition(!tokens.isEmpty)
        if cache.length >= tokens.count { cache.truncate(to: tokens.count - 1) }
        return cache.length
    }

    /// After a failed or cancelled request: forget anything the cache holds beyond `tokens`.
    func restore() {
        if cache.length > tokens.count { cache.truncate(to: tokens.count) }
        busy = false
    }
}

/// The sessions, with least-recently-used eviction under a session count and a KV memory budget.
struct SessionStore {
    let maxSessions: Int
    let memoryBudget: Int
    private(set) var sessions: [String: CloudSession] = [:]
    /// Ids of evicted sessions (the most recent `tombstoneLimit`), to answer `session_evicted`.
    private var evicted: Set<String> = []
    private var evictionOrder: [String] = []
    private let tombstoneLimit = 4096
    private var clock: UInt64 = 0
    private(set) var evictions = 0

    init(maxSessions: Int, memoryBudget: Int) {
        self.maxSessions = maxSessions
        self.memoryBudget = memoryBudget
    }

    var count: Int { sessions.count }
    var memoryBytes: Int { sessions.values.reduce(0) { $0 + $1.cache.memoryBytes } }

    mutating func tick() -> UInt64 {
        clock += 1
        return clock
    }

    /// Adds a session, first evicting the least recently used idle one when all slots are taken.
    mutating func insert(_ session: CloudSession) throws(ErrorResponse) {
        if sessions.count >= maxSessions, !evictLeastRecentlyUsed() {
            throw ErrorResponse(.overloaded, "all \(maxSessions) session slots hold a request in flight")
        }
        sessions[session.id] = session
    }

    /// The session, marked used; `session_evicted` or `session_not_found` otherwise.
    mutating func session(_ id: String) throws(ErrorResponse) -> CloudSession {
        guard let session = sessions[id] else {
            if evicted.contains(id) {
                throw ErrorResponse(.sessionEvicted, "session \(id) was evicted to free memory; create a new session with the full context")
            }
            throw ErrorResponse(.sessionNotFound, "no session \(id)")
        }
        session.lastUsed = tick()
        return session
    }

    mutating func remove(_ id: String) -> CloudSession? {
        sessions.removeValue(forKey: id)
    }

    /// Evicts idle sessions, least recently used first, while the caches exceed the budget.
    mutating func enforceMemoryBudget() {
        var total = memoryBytes
        while total > memoryBudget {
            guard let victim = leastRecentlyUsedIdle() else { return }
            total -= victim.cache.memoryBytes
            evict(victim)
        }
    }

    private func leastRecentlyUsedIdle() -> CloudSession? {
        sessions.values.filter { !$0.busy }.min { $0.lastUsed < $1.lastUsed }
    }

    private mutating func evictLeastRecentlyUsed() -> Bool {
        guard let victim = leastRecentlyUsedIdle() else { return false }
        evict(victim)
        return true
    }

    private mutating func evict(_ session: CloudSession) {
        sessions[session.id] = nil
        evictions += 1
        evicted.insert(session.id)
        evictionOrder.append(session.id)
        if evictionOrder.count > tombstoneLimit {
            evicted.remove(evictionOrder.removeFirst())
        }
    }
}
