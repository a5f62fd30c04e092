import Synchronization

/// Keeps query routing within its cloud budget over a stream of queries, whatever they look
/// like. The trained threshold holds the budget only on queries like the training ones: on
/// HumanEval, a policy handing off 29 % of its dev-split samples wanted 71 % of the test
/// split's queries, which are far harder (the device solves 78 % of dev, 33 % of test).
///
/// A query goes to the cloud only when
/// - the policy wants it (its own threshold),
/// - its score is among the top `share` of the last `window` scores (once `warmUp` queries
///   have been seen), so the budget goes to the queries the policy is surest about, and
/// - the calls so far, this one included, stay within `share × queries`.
///
/// One guard serves one deployment (an evaluation group, an app's session of queries);
/// decisions depend on the order queries arrive in.
public final class QueryBudget: Sendable {
    public let share: Double
    public let warmUp: Int
    public let window: Int
    private let state = Mutex<(recent: [Float], queries: Int, calls: Int)>(([], 0, 0))

    public init(share: Double, warmUp: Int = 10, window: Int = 1000) {
        precondition(share >= 0 && share <= 1, "share must be in 0...1")
        self.share = share
        self.warmUp = max(1, warmUp)
        self.window = max(self.warmUp, window)
    }

    /// Records one query's score and says whether it may go to the cloud.
    public func admit(score: Float, wanted: Bool) -> Bool {
        state.withLock { state in
            state.queries += 1
            state.recent.append(score)
            if state.recent.count > window { state.recent.removeFirst() }
            guard wanted, Double(state.calls + 1) <= share * Double(state.queries) + 1e-9 else { return false }
            if state.queries >= warmUp {
                let top = max(1, Int(share * Double(state.recent.count)))
                guard score >= state.recent.sorted(by: >)[top - 1] else { return false }
            }
            state.calls += 1
            return true
        }
    }

    /// Queries seen and calls admitted so far.
    public var counts: (queries: Int, calls: Int) {
        state.withLock { ($0.queries, $0.calls) }
    }
}
