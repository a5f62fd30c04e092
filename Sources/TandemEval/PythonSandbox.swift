import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a Python program in its own `python3` process: a fresh temporary directory as its
/// working directory, its own process group, CPU-time, address-space, file-size and
/// process-count limits (`resource.setrlimit`, set by a small wrapper before the program
/// starts), and a wall-clock timeout after which the whole process group is killed. A
/// program that hangs, crashes, forks or eats memory is a failure, never a hang of the caller.
public struct PythonSandbox: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Wall-clock seconds before the process group is killed.
        public var wallSeconds: Double
        /// CPU seconds (RLIMIT_CPU).
        public var cpuSeconds: Int
        /// Address space in bytes (RLIMIT_AS).
        public var memoryBytes: Int
        /// Largest file the program may write (RLIMIT_FSIZE).
        public var fileBytes: Int
        /// Processes (RLIMIT_NPROC; not enforced for root, the process group kill still is).
        public var processes: Int

        public init(wallSeconds: Double = 10, cpuSeconds: Int = 10, memoryBytes: Int = 1 << 30,
                    fileBytes: Int = 16 << 20, processes: Int = 256) {
            self.wallSeconds = wallSeconds
            self.cpuSeconds = cpuSeconds
            self.memoryBytes = memoryBytes
            self.fileBytes = fileBytes
            self.processes = processes
        }
    }

    public enum Outcome: String, Sendable, Codable {
        case passed, failed, timeout
    }

    public struct Result: Sendable, Codable, Equatable {
        public var outcome: Outcome
        /// Exit status, or minus the signal that ended it.
        public var exitStatus: Int32
        /// The last part of the program's stderr (the traceback).
        public var stderrTail: String
        public var seconds: Double
        public var passed: Bool { outcome == .passed }
    }

    public var python: String
    public var limits: Limits

    public init(python: String = "python3", limits: Limits = Limits()) {
        self.python = python
        self.limits = limits
    }

    /// The wrapper: new session (so the group can be killed), limits, then the program as
    /// `__main__` with isolated mode semantics (no user site, cwd first on the path).
    static let wrapper = """
    import os, resource, runpy, sys
    try:
        os.setsid()
    except OSError:
        os.setpgid(0, 0) if os.getpgrp() != os.getpid() else None
    os.chdir(sys.argv[1])
    cpu, mem, fsize, nproc = (int(x) for x in sys.argv[2:6])
    def limit(name, value):
        try:
            resource.setrlimit(name, (value, value))
        except (ValueError, OSError):
            pass
    limit(resource.RLIMIT_CPU, cpu)
    limit(resource.RLIMIT_AS, mem)
    limit(resource.RLIMIT_DATA, mem)
    limit(resource.RLIMIT_FSIZE, fsize)
    limit(resource.RLIMIT_NPROC, nproc)
    limit(resource.RLIMIT_CORE, 0)
    program = sys.argv[6]
    sys.argv = [program]
    sys.path.insert(0, os.getcwd())
    runpy.run_path(program, run_name="__main__")
    """

    /// Runs `program`; passes when it exits with status 0 within the limits.
    public func run(_ program: String) async throws -> Result {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("tandem-sandbox-\(UUID().uuidString)")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let programURL = dir.appendingPathComponent("program.py")
        try Data(program.utf8).write(to: programURL)
        let stdoutURL = dir.appendingPathComponent("stdout")
        let stderrURL = dir.appendingPathComponent("stderr")
        fm.createFile(atPath: stdoutURL.path, contents: nil)
        fm.createFile(atPath: stderrURL.path, contents: nil)

        // posix_spawn and waitpid on the one pid: Foundation's Process can report a program
        // as running while children it left behind still hold its inherited descriptors.
        let arguments = [python, "-B", "-c", Self.wrapper, dir.path, String(limits.cpuSeconds), String(limits.memoryBytes),
                         String(limits.fileBytes), String(limits.processes), programURL.path]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutURL.path, O_WRONLY | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrURL.path, O_WRONLY | O_TRUNC, 0o600)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let start = ContinuousClock.now
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, python, &actions, nil, &argv, environ)
        guard spawned == 0 else { throw DatasetError("cannot start \(python): \(String(cString: strerror(spawned)))") }
        let deadline = start + .milliseconds(Int(limits.wallSeconds * 1000))
        var timedOut = false
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { break }
            if ContinuousClock.now >= deadline {
                timedOut = true
                // The group (the wrapper made it with setsid; pgid == pid), and the pid itself
                // in case it had not got that far.
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                break
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        // Anything the program left behind in its group.
        kill(-pid, SIGKILL)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let stderrData = (try? Data(contentsOf: stderrURL)) ?? Data()
        let tail = String(decoding: stderrData.suffix(2000), as: UTF8.self)
        let exited = status & 0x7F == 0
        let exitStatus = exited ? (status >> 8) & 0xFF : -(status & 0x7F)
        let outcome: Outcome = timedOut ? .timeout : (exited && exitStatus == 0 ? .passed : .failed)
        return Result(outcome: outcome, exitStatus: exitStatus, stderrTail: tail, seconds: seconds)
    }
}
