/// Which requests an engine step serves.
public enum SchedulingPolicy: String, Sendable, CaseIterable {
    /// Fill a token budget: verification chunks first (soonest device stall first), then one
    /// decode token per generating request, then prefill pieces (long prompts split).
    case verifyAware = "verify-aware"
    /// First come, first served: one request per step, its current segment whole.
    case fcfs
}

/// Rows of output a run of tokens needs (mirrors `OutputRequest.Rows`, without the engine).
public enum OutputRows: Sendable, Equatable {
    case none, all
    /// The segment's last `k` tokens (a split segment returns them from its last piece).
    case tail(Int)

    public static let last = OutputRows.tail(1)
}

/// A run of a request's tokens with one purpose; the scheduler's unit of work.
public struct Segment: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Context the engine has not seen; may be split over steps.
        case prefill
        /// A draft chunk (with the context tail before it): never split.
        case verification
        /// One generated token fed back.
        case decode
    }

    public var kind: Kind
    /// Tokens not yet run.
    public var tokens: Int
    /// Rows the whole segment needs: `.last` is given to the piece that finishes it.
    public var rows: OutputRows

    public init(kind: Kind, tokens: Int, rows: OutputRows) {
        precondition(tokens > 0, "a segment has at least one token")
        precondition(kind == .prefill || rows != .none, "verification and decode segments produce output")
        self.kind = kind
        self.tokens = tokens
        self.rows = rows
    }

    public static func prefill(_ tokens: Int, rows: OutputRows = .none) -> Segment { Segment(kind: .prefill, tokens: tokens, rows: rows) }
    /// A verification of `tokens` tokens whose last `outputs` need rows (all by default).
    public static func verification(_ tokens: Int, outputs: Int? = nil) -> Segment {
        Segment(kind: .verification, tokens: tokens, rows: outputs.map { .tail(min($0, tokens)) } ?? .all)
    }
    public static let decode = Segment(kind: .decode, tokens: 1, rows: .last)
}

/// One request's part of a step: run `tokens` tokens of its current segment.
public struct StepEntry: Sendable, Equatable {
    public var id: Int
    public var kind: Segment.Kind
    public var tokens: Int
    /// Rows this piece returns.
    public var rows: OutputRows
    /// Whether this piece finishes the segment.
    public var finishesSegment: Bool

    public init(id: Int, kind: Segment.Kind, tokens: Int, rows: OutputRows, finishesSegment: Bool) {
        self.id = id
        self.kind = kind
        self.tokens = tokens
        self.rows = rows
        self.finishesSegment = finishesSegment
    }
}

/// What one engine step runs.
public struct Step: Sendable, Equatable {
    public var entries: [StepEntry]
    public var budget: Int
    public var tokenCount: Int { entries.reduce(0) { $0 + $1.tokens } }
    public var isEmpty: Bool { entries.isEmpty }
    /// Tokens run ÷ token budget (can exceed 1 when one oversized chunk runs alone).
    public var packingFactor: Double { Double(tokenCount) / Double(budget) }
}

/// The step scheduler as a pure state machine: requests come in as queues of segments,
/// `plan()` says what the next engine step runs, `commit(_:)` records that it ran. No clock,
/// no threads, no engine: tests drive it step by step.
///
/// A request with no segment left stays (idle) until its owner `append`s another segment
/// (a generated token to feed back) or `remove`s it.
public struct Scheduler: Sendable {
    public struct Item: Sendable, Equatable {
        public let id: Int
        public var segments: [Segment]
        /// When the request's device would stall (any monotone unit; lower is sooner).
        public var deadline: Double
        /// Submission order.
        public let arrival: Int
    }

    /// May change between steps (queued requests keep their place).
    public var policy: SchedulingPolicy
    /// Tokens one step may run (verify-aware).
    public let tokenBudget: Int
    /// Most output rows a split `.all` segment returns per step (bounds per-step memory).
    public let maxRowsPerPiece: Int
    public private(set) var items: [Int: Item] = [:]
    private var arrivals = 0

    public init(policy: SchedulingPolicy = .verifyAware, tokenBudget: Int = 256, maxRowsPerPiece: Int = 64) {
        precondition(tokenBudget > 0 && maxRowsPerPiece > 0)
        self.policy = policy
        self.tokenBudget = tokenBudget
        self.maxRowsPerPiece = maxRowsPerPiece
    }

    /// Requests with work to do.
    public var pendingCount: Int { items.values.count { !$0.segments.isEmpty } }
    public var isEmpty: Bool { items.isEmpty }

    public mutating func submit(id: Int, segments: [Segment], deadline: Double = 0) {
        precondition(items[id] == nil, "request \(id) is already scheduled")
        items[id] = Item(id: id, segments: segments, deadline: deadline, arrival: arrivals)
        arrivals += 1
    }

    /// Adds work to a request (e.g. a decode segment after each sampled token).
    public mutating func append(_ segment: Segment, to id: Int) {
        precondition(items[id] != nil, "request \(id) is not scheduled")
        items[id]!.segments.append(segment)
    }

    /// Forgets a request (finished or cancelled).
    public mutating func remove(_ id: Int) {
        items[id] = nil
    }

    /// The next step; empty when nothing is pending.
    public func plan() -> Step {
        let ready = items.values.filter { !$0.segments.isEmpty }
        switch policy {
        case .fcfs:
            guard let first = ready.min(by: { $0.arrival < $1.arrival }) else { return Step(entries: [], budget: tokenBudget) }
            let segment = first.segments[0]
            return Step(entries: [StepEntry(id: first.id, kind: segment.kind, tokens: segment.tokens,
                                            rows: segment.rows, finishesSegment: true)], budget: tokenBudget)
        case .verifyAware:
            return planBudgeted(ready)
        }
    }

    private func planBudgeted(_ ready: [Item]) -> Step {
        var entries: [StepEntry] = []
        var used = 0
        func current(_ kind: Segment.Kind) -> [Item] { ready.filter { $0.segments[0].kind == kind } }
        // 1. Verification chunks, soonest stall first; a chunk larger than the budget runs
        //    alone when it comes first (it never waits for an empty queue).
        let verifications = current(.verification).sorted { ($0.deadline, $0.arrival) < ($1.deadline, $1.arrival) }
        for item in verifications {
            let segment = item.segments[0]
            guard used + segment.tokens <= tokenBudget || entries.isEmpty else { continue }
            entries.append(StepEntry(id: item.id, kind: .verification, tokens: segment.tokens, rows: segment.rows, finishesSegment: true))
            used += segment.tokens
        }
        // 2. One decode token per generating request, oldest first.
        for item in current(.decode).sorted(by: { $0.arrival < $1.arrival }) where used + 1 <= tokenBudget {
            entries.append(StepEntry(id: item.id, kind: .decode, tokens: 1, rows: .last, finishesSegment: true))
            used += 1
        }
        // 3. Prefill pieces with what is left, soonest deadline then oldest first.
        for item in current(.prefill).sorted(by: { ($0.deadline, $0.arrival) < ($1.deadline, $1.arrival) }) {
            let left = tokenBudget - used
            guard left > 0 else { break }
            let segment = item.segments[0]
            var count = min(segment.tokens, left)
            if segment.rows == .all { count = min(count, maxRowsPerPiece) }
            let finishes = count == segment.tokens
            let rows: OutputRows = switch segment.rows {
            case .all: .all
            case .tail(let k): finishes ? .tail(min(k, count)) : .none
            case .none: .none
            }
            entries.append(StepEntry(id: item.id, kind: .prefill, tokens: count, rows: rows, finishesSegment: finishes))
            used += count
        }
        return Step(entries: entries, budget: tokenBudget)
    }

    /// Records that `step` ran: each entry's tokens leave its request's current segment.
    /// Entries of requests removed meanwhile are ignored.
    public mutating func commit(_ step: Step) {
        for entry in step.entries {
            guard var item = items[entry.id], !item.segments.isEmpty else { continue }
            item.segments[0].tokens -= entry.tokens
            if item.segments[0].tokens <= 0 { item.segments.removeFirst() }
            items[entry.id] = item
        }
    }
}
