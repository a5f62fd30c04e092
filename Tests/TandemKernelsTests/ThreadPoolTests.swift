import Testing
import TandemKernels

@Suite struct ThreadPoolTests {
    @Test(arguments: [1, 2, 3, 4])
    func parallelForVisitsEveryIndexOnce(threads: Int) {
        let pool = ThreadPool(threads: threads, spinMicroseconds: 50)
        let count = 1003
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
        defer { hits.deallocate() }
        for round in 0..<200 {
            hits.initialize(repeating: 0, count: count)
            pool.parallelFor(count: count, grain: 1 + round % 37) { range in
                for i in range { hits[i] += 1 }
            }
            for i in 0..<count { #expect(hits[i] == 1, "round \(round) index \(i)") }
        }
    }

    @Test func runGivesEachParticipantItsIndex() {
        let pool = ThreadPool(threads: 3)
        let seen = UnsafeMutablePointer<Int>.allocate(capacity: 3)
        defer { seen.deallocate() }
        seen.initialize(repeating: 0, count: 3)
        pool.run { participant in seen[participant] += participant + 1 }
        #expect((0..<3).map { seen[$0] } == [1, 2, 3])
    }

    /// Alternating `run` (every participant once) and `parallelFor` (workers optional),
    /// with tiny jobs so late workers overlap the next dispatch.
    @Test func alternatingRunAndParallelFor() {
        let pool = ThreadPool(threads: 3, spinMicroseconds: 20)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 3)
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        defer { counts.deallocate(); hits.deallocate() }
        for round in 0..<3000 {
            counts.initialize(repeating: 0, count: 3)
            pool.run { counts[$0] += 1 }
            #expect(counts[0] == 1 && counts[1] == 1 && counts[2] == 1, "round \(round)")
            hits.initialize(repeating: 0, count: 64)
            pool.parallelFor(count: 64, grain: 8) { range, _ in for i in range { hits[i] += 1 } }
            #expect((0..<64).allSatisfy { hits[$0] == 1 }, "round \(round)")
        }
    }

    @Test func wakesSleepingWorkers() async throws {
        let pool = ThreadPool(threads: 2, spinMicroseconds: 1)
        try await Task.sleep(for: .milliseconds(20))  // workers go to sleep
        let flags = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        defer { flags.deallocate() }
        flags.initialize(repeating: 0, count: 2)
        pool.run { flags[$0] = 1 }
        #expect(flags[0] == 1 && flags[1] == 1)
    }

    @Test func poolIsReleasedWithItsWorkers() {
        weak var weakPool: ThreadPool?
        do {
            let pool = ThreadPool(threads: 2)
            pool.parallelFor(count: 10) { _ in }
            weakPool = pool
        }
        #expect(weakPool == nil)
    }
}
