import Testing
import TandemCloud

/// The scheduler as a state machine: plans driven step by step, no engine, no threads.
@Suite struct SchedulerTests {
    @Test func verificationFirstByDeadlineThenDecodeThenPrefill() {
        var s = Scheduler(policy: .verifyAware, tokenBudget: 16)
        s.submit(id: 1, segments: [.prefill(100, rows: .last)], deadline: 0)
        s.submit(id: 2, segments: [.verification(9)], deadline: 5)
        s.submit(id: 3, segments: [.verification(9)], deadline: 1)
        s.submit(id: 4, segments: [.decode], deadline: 0)
        let step = s.plan()
        #expect(step.entries == [
            StepEntry(id: 3, kind: .verification, tokens: 9, rows: .all, finishesSegment: true),
            StepEntry(id: 4, kind: .decode, tokens: 1, rows: .last, finishesSegment: true),
            StepEntry(id: 1, kind: .prefill, tokens: 6, rows: .none, finishesSegment: false),
        ])
        #expect(step.tokenCount == 16)
        #expect(step.packingFactor == 1)
        s.commit(step)
        s.remove(3)   // its owner finished it
        // Request 4 is idle until its owner appends the next decode token.
        let second = s.plan()
        #expect(second.entries.map(\.id) == [2, 1])
        #expect(second.entries[1].tokens == 7)
        s.append(.decode, to: 4)
        #expect(s.plan().entries.map(\.id) == [2, 4, 1])
    }

    @Test func prefillSplitsAndOnlyTheLastPieceReturnsTheLastRow() {
        var s = Scheduler(policy: .verifyAware, tokenBudget: 8)
        s.submit(id: 1, segments: [.prefill(20, rows: .last)])
        var pieces: [StepEntry] = []
        while s.pendingCount > 0 {
            let step = s.plan()
            pieces += step.entries
            s.commit(step)
        }
        #expect(pieces.map(\.tokens) == [8, 8, 4])
        #expect(pieces.map(\.rows) == [.none, .none, .last])
        #expect(pieces.map(\.finishesSegment) == [false, false, true])
    }

    @Test func scoredPrefillPiecesAreBoundedByRows() {
        var s = Scheduler(policy: .verifyAware, tokenBudget: 256, maxRowsPerPiece: 32)
        s.submit(id: 1, segments: [.prefill(10), .prefill(70, rows: .all)])
        var pieces: [StepEntry] = []
        while s.pendingCount > 0 {
            let step = s.plan()
            pieces += step.entries
            s.commit(step)
        }
        #expect(pieces.map(\.tokens) == [10, 32, 32, 6])
        #expect(pieces.map(\.rows) == [.none, .all, .all, .all])
    }

    @Test func manyVerificationsPackIntoOneStepUpToTheBudget() {
        var s = Scheduler(policy: .verifyAware, tokenBudget: 64)
        for id in 0..<10 { s.submit(id: id, segments: [.verification(9)], deadline: Double(10 - id)) }
        let step = s.plan()
        #expect(step.entries.count == 7)   // 7 × 9 = 63 ≤ 64
        #expect(step.entries.map(\.id) == [9, 8, 7, 6, 5, 4, 3])   // soonest stall first
        #expect(abs(step.packingFactor - 63.0 / 64.0) < 1e-12)
    }

    @Test func anOversizedChunkRunsAloneWhenItComesFirst() {
        var s = Scheduler(policy: .verifyAware, tokenBudget: 8)
        s.submit(id: 1, segments: [.verification(20)], deadline: 0)
        s.submit(id: 2, segments: [.verification(4)], deadline: 1)
        let step = s.plan()
        #expect(step.entries.map(\.id) == [1])
        #expect(step.packingFactor == 2.5)
        s.commit(step)
        s.remove(1)
        #expect(s.plan().entries.map(\.id) == [2])
    }

    @Test func fcfsRunsOneRequestPerStepOldestFirstWhole() {
        var s = Scheduler(policy: .fcfs, tokenBudget: 8)
        s.submit(id: 1, segments: [.prefill(30, rows: .last)], deadline: 9)
        s.submit(id: 2, segments: [.verification(9)], deadline: 0)
        let first = s.plan()
        #expect(first.entries == [StepEntry(id: 1, kind: .prefill, tokens: 30, rows: .last, finishesSegment: true)])
        s.commit(first)
        s.append(.decode, to: 1)
        // Request 1 is still the oldest: its decode token goes before request 2's chunk.
        #expect(s.plan().entries.map(\.id) == [1])
        s.remove(1)
        #expect(s.plan().entries == [StepEntry(id: 2, kind: .verification, tokens: 9, rows: .all, finishesSegment: true)])
    }

    @Test func aVerificationReturnsOnlyTheRowsItJudges() {
        var s = Scheduler(policy: .verifyAware, tokenBudget: 64)
        s.submit(id: 1, segments: [.verification(20, outputs: 5)])
        s.submit(id: 2, segments: [.verification(3, outputs: 7)])
        #expect(s.plan().entries.map(\.rows) == [.tail(5), .tail(3)])
    }

    @Test func commitIgnoresRequestsRemovedMeanwhile() {
        var s = Scheduler(policy: .verifyAware, tokenBudget: 16)
        s.submit(id: 1, segments: [.verification(5)])
        s.submit(id: 2, segments: [.prefill(40)])
        let step = s.plan()
        s.remove(1)
        s.commit(step)
        #expect(s.items[1] == nil)
        #expect(s.items[2]?.segments == [.prefill(29)])
        #expect(s.plan().entries.map(\.tokens) == [16])
    }

    @Test func emptyWhenNothingIsPending() {
        var s = Scheduler()
        #expect(s.plan().isEmpty)
        s.submit(id: 1, segments: [])
        #expect(s.plan().isEmpty)
        #expect(s.pendingCount == 0)
        #expect(!s.isEmpty)
    }
}
