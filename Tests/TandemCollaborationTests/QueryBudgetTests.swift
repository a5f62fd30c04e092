import TandemCollaboration
import TandemTestSupport
import Testing

/// The budget guard holds the call rate on any stream of queries and spends it on the
/// highest scores.
struct QueryBudgetTests {
    @Test func callsStayWithinTheShareAtEveryPrefixAndGoToHighScores() {
        // A stream where the policy wants 80 % of the queries (a harder split than its training).
        var random = SeededGenerator(seed: 3)
        let budget = QueryBudget(share: 0.3)
        var admitted: [Float] = [], refused: [Float] = []
        for n in 1...200 {
            let score = Float.random(in: 0..<1, using: &random)
            let wanted = score > 0.2
            let handOff = budget.admit(score: score, wanted: wanted)
            #expect(!handOff || wanted, "a query the policy does not want is never handed off")
            if handOff { admitted.append(score) } else { refused.append(score) }
            #expect(Double(budget.counts.calls) <= 0.3 * Double(n) + 1e-9, "after \(n) queries")
        }
        #expect(budget.counts.queries == 200)
        #expect(budget.counts.calls >= 45, "most of the budget is used: \(budget.counts.calls)")
        let mean = { (xs: [Float]) in xs.reduce(0, +) / Float(max(1, xs.count)) }
        #expect(mean(admitted) > 0.7 && mean(refused) < 0.5, "\(mean(admitted)) vs \(mean(refused))")
    }

    @Test func theQuantileFollowsTheRecentWindow() {
        // 50 high scores, then a long run of low ones: with a window of 20 the low scores
        // become the reference, so a wanted low score is admitted again once the cap allows.
        let budget = QueryBudget(share: 0.3, warmUp: 10, window: 20)
        for _ in 0..<50 { _ = budget.admit(score: 0.9, wanted: false) }
        for _ in 0..<30 { _ = budget.admit(score: 0.1, wanted: false) }
        #expect(budget.admit(score: 0.2, wanted: true))
        #expect(budget.counts == (queries: 81, calls: 1))
    }

    @Test func withinBudgetThePolicyAloneDecides() {
        // The policy wants 10 % of queries with share 0.3: the guard admits every one after warm-up.
        let budget = QueryBudget(share: 0.3, warmUp: 10)
        var wantedAfterWarmUp = 0, admittedAfterWarmUp = 0
        for n in 1...100 {
            let wanted = n % 10 == 0
            let handOff = budget.admit(score: wanted ? 0.9 : 0.1, wanted: wanted)
            if n > 10 && wanted { wantedAfterWarmUp += 1; admittedAfterWarmUp += handOff ? 1 : 0 }
        }
        #expect(admittedAfterWarmUp == wantedAfterWarmUp)
    }
}
