import Foundation

/// A real HTTP server on 127.0.0.1 for store tests: python's http.server over a directory,
/// plus `/cut/NAME`, which promises NAME's full length but closes after half the bytes.
final class LocalHTTPServer: @unchecked Sendable {
    let directory: String
    let port: Int
    private let process: Process
    /// The server reads this pipe and exits at end-of-file, so it never outlives the tests.
    private let lifeline: Pipe

    var baseURL: String { "http://127.0.0.1:\(port)" }

    init(directory: String) throws {
        self.directory = directory
        let script = """
            import http.server, os, socketserver, sys, threading
            root = sys.argv[1]
            # Exit when the test process goes away (its end of our stdin closes).
            threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
            class Handler(http.server.SimpleHTTPRequestHandler):
                def __init__(self, *a, **k): super().__init__(*a, directory=root, **k)
                def log_message(self, *a): pass
                def do_GET(self):
                    if self.path.startswith("/cut/"):
                        data = open(os.path.join(root, self.path[5:]), "rb").read()
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data[: len(data) // 2])
                        self.wfile.flush()
                        self.connection.close()
                        return
                    super().do_GET()
            server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, directory]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let lifeline = Pipe()
        process.standardInput = lifeline
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let port = Int(text) else {
            process.terminate()
            throw CocoaError(.fileReadUnknown)
        }
        self.process = process
        self.lifeline = lifeline
        self.port = port
    }

    /// SIGTERM ends python's server; no wait (`waitUntilExit` needs a run loop on Linux).
    deinit {
        process.terminate()
    }
}
