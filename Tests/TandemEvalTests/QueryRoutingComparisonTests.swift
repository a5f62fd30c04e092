import TandemCollaboration
import TandemEval
import Testing

/// The baselines get the policy's hand-off count and pick by their own scores.
struct QueryRoutingComparisonTests {
    func record(_ id: String, _ mode: CollaborationMode, _ passed: Bool, _ routing: QueryRoutingDecision? = nil) -> EvalRecord {
        EvalRecord(taskID: id, mode: mode, sweep: .none, passed: passed, tokens: 1, stats: CollaborationStats(), tbtSamples: [], text: "",
                   routing: routing)
    }

    @Test func baselinesAtTheSameRate() {
        // Four tasks: the device solves t0, t1; the cloud solves t0, t2, t3.
        let device = [true, true, false, false], cloud = [true, false, true, true]
        // The policy hands off t2 (right) and t1 (wrong); the prompt classifier prefers t2, t3;
        // the confidence score prefers t0, t1.
        let decisions: [(Bool, Float, Float)] = [(false, 0.1, 5), (true, 0.2, 4), (true, 0.9, 1), (false, 0.8, 0)]
        var records: [EvalRecord] = []
        for i in 0..<4 {
            records.append(record("t\(i)", .device, device[i]))
            records.append(record("t\(i)", .cloud, cloud[i]))
            let handedOff = decisions[i].0
            records.append(record("t\(i)", .queryRouting, handedOff ? cloud[i] : device[i],
                                  QueryRoutingDecision(handedOff: handedOff, probability: 0, promptScore: decisions[i].1, confidenceScore: decisions[i].2)))
        }
        let rows = Dictionary(uniqueKeysWithValues: QueryRoutingComparison.compare(records).map { ($0.method, $0) })
        #expect(rows["device only"]!.correct == 2 && rows["cloud only"]!.correct == 3)
        #expect(rows["query-routing (trained policy)"]!.correct == 2 && rows["query-routing (trained policy)"]!.callRate == 0.5)
        #expect(rows["random hand-off"]!.correct == 2.5)
        #expect(rows["prompt-only classifier"]!.correct == 4)
        #expect(rows["answer-confidence threshold"]!.correct == 1)
        #expect(rows["oracle (ceiling)"]!.correct == 4)
        #expect(QueryRoutingComparison.compare(records.filter { $0.mode != .cloud }).isEmpty)
        #expect(rows["failed prompt examples, then confidence"] == nil, "no checks recorded, no such row")
    }

    @Test func withChecksTheFailedExamplesRuleStandsBeside() {
        // t1 and t2 fail examples (t2 more); t3 has none; t0 passes all. The rule hands off t2, t1.
        let device = [true, true, false, false], cloud = [true, false, true, true]
        let checks: [[Float]] = [[1, 1], [1, 0.5], [1, 0], [0, 0]]
        var records: [EvalRecord] = []
        for i in 0..<4 {
            records.append(record("t\(i)", .device, device[i]))
            records.append(record("t\(i)", .cloud, cloud[i]))
            records.append(record("t\(i)", .queryRouting, i == 3 ? cloud[i] : device[i],
                                  QueryRoutingDecision(handedOff: i >= 2, probability: 0, promptScore: 0, confidenceScore: Float(i), check: checks[i])))
        }
        let rows = QueryRoutingComparison.compare(records)
        let rule = rows.first { $0.method == "failed prompt examples, then confidence" }
        #expect(rule?.correct == 2 && rule?.callRate == 0.5)
        #expect(rows.last?.method == "oracle (ceiling)", "the oracle stays the last row")
    }
}
