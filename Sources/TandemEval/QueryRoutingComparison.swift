import Foundation
import TandemCollaboration

/// Query routing against its baselines at the same hand-off rate, on the tasks that have a
/// `device`, a `cloud` and a `query-routing` record: each baseline hands off the same number
/// of queries, the ones it scores highest; a handed-off query counts as the cloud's answer.
public enum QueryRoutingComparison {
    public struct Row: Sendable, Codable, Equatable {
        public var method: String
        public var accuracy: Double
        public var callRate: Double
        public var correct: Double
        public var tasks: Int

        enum CodingKeys: String, CodingKey {
            case method, accuracy, correct, tasks
            case callRate = "call_rate"
        }
    }

    public static func compare(_ records: [EvalRecord]) -> [Row] {
        let device = Dictionary(records.filter { $0.mode == .device }.map { ($0.taskID, $0.passed) }, uniquingKeysWith: { a, _ in a })
        let cloud = Dictionary(records.filter { $0.mode == .cloud }.map { ($0.taskID, $0.passed) }, uniquingKeysWith: { a, _ in a })
        let routed = records.filter { $0.mode == .queryRouting && $0.routing != nil && device[$0.taskID] != nil && cloud[$0.taskID] != nil }
        guard !routed.isEmpty else { return [] }
        let n = routed.count
        let ids = routed.map(\.taskID)
        func count(_ handOff: Set<String>) -> Double {
            Double(ids.filter { handOff.contains($0) ? cloud[$0]! : device[$0]! }.count)
        }
        let policyHandOffs = Set(routed.filter { $0.routing!.handedOff }.map(\.taskID))
        let k = policyHandOffs.count
        func top(_ score: (EvalRecord) -> Float) -> Set<String> {
            Set(routed.sorted { score($0) != score($1) ? score($0) > score($1) : $0.taskID < $1.taskID }.prefix(k).map(\.taskID))
        }
        let deviceCorrect = count([]), cloudCorrect = count(Set(ids))
        let rate = Double(k) / Double(n)
        func row(_ method: String, _ correct: Double, _ callRate: Double) -> Row {
            Row(method: method, accuracy: correct / Double(n), callRate: callRate, correct: correct, tasks: n)
        }
        // The oracle hands off the queries only the cloud gets right first: the ceiling at this rate.
        let oracle = top { r in (cloud[r.taskID]! && !device[r.taskID]!) ? 2 : (cloud[r.taskID]! ? 1 : 0) }
        // Scored with the same cloud answers as the baselines; its own run's answers beside it
        // (a cloud answer can differ between runs, e.g. after a fault or on another build).
        var rows = [
            row("device only", deviceCorrect, 0),
            row("cloud only", cloudCorrect, 1),
            row("query-routing (trained policy)", count(policyHandOffs), rate),
            row("query-routing, its own run's answers", Double(routed.filter(\.passed).count), rate),
            // Expected accuracy of handing off k random queries.
            row("random hand-off", deviceCorrect + rate * (cloudCorrect - deviceCorrect), rate),
            row("prompt-only classifier", count(top { $0.routing!.promptScore }), rate),
            row("answer-confidence threshold", count(top { $0.routing!.confidenceScore }), rate),
            row("oracle (ceiling)", count(oracle), rate),
        ]
        // With a check of the answer (HumanEval: the prompt's examples), the plain rule beside
        // the policy: the most failed examples first, ties by the answer's confidence.
        if routed.allSatisfy({ $0.routing!.check?.count == 2 }) {
            let failed = { (r: EvalRecord) -> Float in r.routing!.check![0] * (1 - r.routing!.check![1]) }
            let rule = Set(routed.sorted { a, b in
                failed(a) != failed(b) ? failed(a) > failed(b)
                    : a.routing!.confidenceScore != b.routing!.confidenceScore ? a.routing!.confidenceScore > b.routing!.confidenceScore : a.taskID < b.taskID
            }.prefix(k).map(\.taskID))
            rows.insert(row("failed prompt examples, then confidence", count(rule), rate), at: rows.count - 1)
        }
        // What the policy's threshold alone would have handed off, before the budget guard.
        let wanted = Set(routed.filter { $0.routing!.wanted == true }.map(\.taskID))
        if routed.contains(where: { $0.routing!.wanted != nil }) {
            rows.append(row("policy threshold alone (no budget guard)", count(wanted), Double(wanted.count) / Double(n)))
        }
        return rows
    }

    public static func markdown(_ rows: [Row]) -> String {
        guard !rows.isEmpty else { return "" }
        var lines = ["| method | accuracy | correct | cloud-call rate |", "|---|---|---|---|"]
        for r in rows {
            lines.append(String(format: "| %@ | %.1f%% | %.1f/%d | %.1f%% |", r.method, 100 * r.accuracy, r.correct, r.tasks, 100 * r.callRate))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
