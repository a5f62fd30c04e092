import Foundation
import Synchronization

/// Set once by a task when it finishes, read without waiting by the decoding loop.
final class DoneFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}

/// What the cloud stated when the session opened, recorded by the session's task and read
/// by the decoding loop without waiting (nil until it answers).
final class SessionTerms: Sendable {
    struct Stated {
        var mergeLimit: Int?
    }
    private let stated = Mutex<Stated?>(nil)
    func record(_ value: Stated) { stated.withLock { $0 = value } }
    var value: Stated? { stated.withLock { $0 } }
}

/// Bytes and cloud time counted by tasks, drained into the statistics by the loop.
final class ByteCounter: Sendable {
    struct Totals {
        var up = 0, down = 0, resyncs = 0
        /// Pipelined chunks verified again (`DecodingRun.adopt`).
        var resent = 0
        var milliseconds: Double = 0
    }
    private let totals = Mutex(Totals())

    func add(up: Int, down: Int, milliseconds: Double, resync: Bool = false, resent: Bool = false) {
        totals.withLock {
            $0.up += up
            $0.down += down
            $0.milliseconds += milliseconds
            if resync { $0.resyncs += 1 }
            if resent { $0.resent += 1 }
        }
    }

    func drain() -> Totals {
        totals.withLock { totals in
            defer { totals = Totals() }
            return totals
        }
    }
}

/// Runs `operation`, throwing `VerifierError.timedOut` if it takes longer than `seconds`
/// (the operation is cancelled).
func withTimeout<T: Sendable>(_ seconds: Double, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw VerifierError.timedOut(seconds: seconds)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
