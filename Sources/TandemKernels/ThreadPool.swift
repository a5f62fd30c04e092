import CTandemKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Persistent worker threads for the matrix work of one engine.
///
/// `threadCount - 1` workers are started once; the calling thread is participant 0, so a
/// pool of one thread runs everything inline. Between jobs a worker spins (with the CPU's
/// pause hint) for `spinMicroseconds` before it sleeps on a condition variable, so the
/// back-to-back matrix products of one token do not pay a sleep/wake each, while an idle
/// pool costs nothing. Dispatching a job allocates nothing.
///
/// Thread-safety: one job at a time. `run` and `parallelFor` must not be called
/// concurrently from several threads, nor from inside a job (checked with a precondition).
public final class ThreadPool: @unchecked Sendable {
    // @unchecked: all shared mutable state lives in `PoolState`, accessed only through the
    // C atomics and the pthread mutex as documented there.
    public let threadCount: Int
    private let state: PoolState

    /// Starts `threads - 1` workers (`threads` ≥ 1; default: the active processor count).
    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount, spinMicroseconds: Int = 1000) {
        precondition(threads >= 1, "a thread pool needs at least one thread")
        threadCount = threads
        state = PoolState(participants: threads, spinNanoseconds: UInt64(spinMicroseconds) * 1000)
        for index in 1..<threads {
            let state = self.state
            let thread = Thread { state.workerLoop(index: index) }
            thread.name = "tandem.pool.\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit { state.shutDown() }

    /// Runs `body(participant)` once on each of the `threadCount` participants (0 is the
    /// caller) and returns when all have finished. `body` runs concurrently on several
    /// threads: it must only write data no other participant touches.
    public func run(_ body: (_ participant: Int) -> Void) {
        if threadCount == 1 { body(0); return }
        withoutActuallyEscaping(body) { escaping in
            state.dispatch(escaping)
        }
    }

    /// Splits `0..<count` into chunks of `grain` (the last may be shorter) handed out on
    /// demand to the participants, and returns when every chunk is done. Dynamic hand-out
    /// keeps all threads busy when one is slowed by other work on its core.
    public func parallelFor(count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        parallelFor(count: count, grain: grain) { range, _ in body(range) }
    }

    /// `parallelFor` that also passes the participant (0..<threadCount) running each chunk,
    /// so a chunk can use per-thread scratch memory.
    ///
    /// Workers join while there are chunks left; the call returns as soon as every chunk is
    /// done, without waiting for a worker that has not started (on a busy machine a
    /// descheduled worker then costs nothing).
    public func parallelFor(count: Int, grain: Int = 1, _ body: (_ range: Range<Int>, _ participant: Int) -> Void) {
        precondition(grain >= 1, "grain must be positive")
        if count <= 0 { return }
        if threadCount == 1 || count <= grain { body(0..<count, 0); return }
        let next = state.nextIndex
        tandem_atomic_store(next, 0)
        let chunks = { (participant: Int) in
            while true {
                let start = Int(tandem_atomic_fetch_add(next, Int64(grain)))
                if start >= count { break }
                body(start..<min(start + grain, count), participant)
            }
        }
        withoutActuallyEscaping(chunks) { escaping in
            state.share(escaping)
        }
    }
}

/// The shared state of a pool and its workers.
///
/// Protocol: the dispatcher stores the job pointer, then advances `generation` by 2 with
/// the job's mode in its lowest bit (all atomics sequentially consistent), so a worker
/// reads generation and mode in one load. A worker handles each generation it observes
/// once:
/// - mode "all" (`run`): it runs the job and increments `finished`; the dispatcher spins
///   until `finished` counts every worker before it clears the job.
/// - mode "share" (`parallelFor`): the dispatcher has set `open` before the increment. A
///   worker increments `active`, then runs the job only if `open` is still set, then
///   decrements `active`. The dispatcher, once its own share loop found no chunk left,
///   clears `open` and spins until `active` is zero before it clears the job. Because both
///   sides write, then read the other's word, at least one sees the other: either the
///   dispatcher waits for the worker, or the worker skips the job. A worker that spun long enough registers in
/// `sleepers` under `mutex` and re-checks `generation` before waiting, and the dispatcher
/// broadcasts under `mutex` whenever `sleepers` is non-zero after its increment, so a
/// wake-up is never lost (both sides use sequentially consistent atomics).
private final class PoolState: @unchecked Sendable {
    // @unchecked: see the protocol above; `job` is written only while no worker reads it.
    let participants: Int
    let spinNanoseconds: UInt64
    /// Cache-line separated words: generation (mode in bit 0: 0 all, 1 share), finished,
    /// sleepers, shutdown, busy, nextIndex, (unused), open, active.
    private let words: UnsafeMutablePointer<Int64>
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private let job: UnsafeMutablePointer<((Int) -> Void)?>

    private var generation: UnsafeMutablePointer<Int64> { words }
    private var finished: UnsafeMutablePointer<Int64> { words + 8 }
    private var sleepers: UnsafeMutablePointer<Int64> { words + 16 }
    private var shutdownFlag: UnsafeMutablePointer<Int64> { words + 24 }
    private var busy: UnsafeMutablePointer<Int64> { words + 32 }
    var nextIndex: UnsafeMutablePointer<Int64> { words + 40 }
    private var open: UnsafeMutablePointer<Int64> { words + 56 }
    private var active: UnsafeMutablePointer<Int64> { words + 64 }

    init(participants: Int, spinNanoseconds: UInt64) {
        self.participants = participants
        self.spinNanoseconds = spinNanoseconds
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 72 * 8, alignment: 64)
        words = raw.initializeMemory(as: Int64.self, repeating: 0, count: 72)
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        job = .allocate(capacity: 1)
        job.initialize(to: nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        pthread_cond_destroy(condition)
        mutex.deallocate()
        condition.deallocate()
        job.deinitialize(count: 1)
        job.deallocate()
        words.deallocate()
    }

    /// Runs `body` on the caller and on whichever workers join in time (see the protocol).
    func share(_ body: @escaping (Int) -> Void) {
        precondition(tandem_atomic_fetch_add(busy, 1) == 0,
                     "ThreadPool.parallelFor called concurrently or from inside a job")
        job.pointee = body
        tandem_atomic_store(open, 1)
        advanceGeneration(mode: 1)
        wakeSleepers()
        body(0)
        tandem_atomic_store(open, 0)
        while tandem_atomic_load(active) != 0 { tandem_cpu_relax() }
        job.pointee = nil
        tandem_atomic_store(busy, 0)
    }

    func dispatch(_ body: @escaping (Int) -> Void) {
        precondition(tandem_atomic_fetch_add(busy, 1) == 0,
                     "ThreadPool.run called concurrently or from inside a job")
        job.pointee = body
        tandem_atomic_store(finished, 0)
        advanceGeneration(mode: 0)
        wakeSleepers()
        body(0)
        let workers = Int64(participants - 1)
        while tandem_atomic_load(finished) < workers { tandem_cpu_relax() }
        job.pointee = nil
        tandem_atomic_store(busy, 0)
    }

    /// Only the (single) dispatcher writes `generation`.
    private func advanceGeneration(mode: Int64) {
        let current = tandem_atomic_load(generation)
        tandem_atomic_store(generation, (current & ~1) + 2 + mode)
    }

    func shutDown() {
        tandem_atomic_store(shutdownFlag, 1)
        advanceGeneration(mode: 0)
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    private func wakeSleepers() {
        if tandem_atomic_load(sleepers) > 0 {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
    }

    /// A worker's life: wait for each new generation, run the job, report it finished.
    /// Starts from generation 0, so a job dispatched before the thread got going is not missed.
    func workerLoop(index: Int) {
        var seen: Int64 = 0
        while true {
            var current = tandem_atomic_load(generation)
            if current == seen {
                let start = DispatchTime.now().uptimeNanoseconds
                var spins = 0
                while current == seen {
                    tandem_cpu_relax()
                    spins += 1
                    if spins & 255 == 0,
                       DispatchTime.now().uptimeNanoseconds - start > spinNanoseconds {
                        current = sleep(until: seen)
                        break
                    }
                    current = tandem_atomic_load(generation)
                }
            }
            seen = current
            if tandem_atomic_load(shutdownFlag) != 0 { return }
            if current & 1 == 0 {
                job.pointee!(index)
                tandem_atomic_fetch_add(finished, 1)
            } else {
                tandem_atomic_fetch_add(active, 1)
                if tandem_atomic_load(open) != 0 { job.pointee!(index) }
                tandem_atomic_fetch_add(active, -1)
            }
        }
    }

    /// Blocks until `generation` differs from `seen`; returns the new generation.
    private func sleep(until seen: Int64) -> Int64 {
        pthread_mutex_lock(mutex)
        tandem_atomic_fetch_add(sleepers, 1)
        var current = tandem_atomic_load(generation)
        while current == seen {
            pthread_cond_wait(condition, mutex)
            current = tandem_atomic_load(generation)
        }
        tandem_atomic_fetch_add(sleepers, -1)
        pthread_mutex_unlock(mutex)
        return current
    }
}
