import Foundation
import NIOHTTP1
import Testing
import TandemProtocol

/// Malformed and hostile requests against the real server: each gets the right 4xx with a
/// JSON error body (or a clean close), and the server keeps serving correct answers.
@Suite(.serialized) struct HostileRequestTests {
    struct Case: CustomStringConvertible {
        var name: String
        var method: HTTPMethod = .POST
        var path: String
        var body: String?
        var bytes: [UInt8]?
        var key: String? = TestServer.apiKey
        var status: Int
        var code: ErrorCode
        /// The server may answer before the whole body has arrived and close the connection
        /// (a clean close is as good as the 4xx then).
        var mayClose = false
        var description: String { name }
    }

    static let completions = "/v1/completions"
    static let chat = "/v1/chat/completions"
    static let big = String(repeating: "a", count: 2 << 20)

    static func cases(session: String, length: Int) -> [Case] {
        let verify = "/tandem/v1/sessions/\(session)/verify"
        return [
            Case(name: "truncated JSON", path: completions, body: #"{"prompt": "hi""#, status: 400, code: .invalidRequest),
            Case(name: "empty body", path: completions, body: "", status: 400, code: .invalidRequest),
            Case(name: "not JSON at all", path: completions, bytes: [0xff, 0xfe, 0x00, 0x01], status: 400, code: .invalidRequest),
            Case(name: "top-level array", path: completions, body: "[1, 2, 3]", status: 400, code: .invalidRequest),
            Case(name: "prompt is a number", path: completions, body: #"{"prompt": 42}"#, status: 400, code: .invalidRequest),
            Case(name: "prompt missing", path: completions, body: #"{"max_tokens": 3}"#, status: 400, code: .invalidRequest),
            Case(name: "max_tokens 1e30", path: completions, body: #"{"prompt": "a", "max_tokens": 1e30}"#, status: 400, code: .invalidRequest),
            Case(name: "max_tokens negative", path: completions, body: #"{"prompt": "a", "max_tokens": -5}"#, status: 400, code: .invalidRequest),
            Case(name: "max_tokens is a string", path: completions, body: #"{"prompt": "a", "max_tokens": "7"}"#, status: 400, code: .invalidRequest),
            Case(name: "temperature is a word", path: completions, body: #"{"prompt": "a", "temperature": "hot"}"#, status: 400, code: .invalidRequest),
            Case(name: "temperature 1e300", path: completions, body: #"{"prompt": "a", "temperature": 1e300}"#, status: 400, code: .invalidRequest),
            Case(name: "temperature 5", path: completions, body: #"{"prompt": "a", "temperature": 5}"#, status: 400, code: .invalidRequest),
            Case(name: "top_p 0", path: completions, body: #"{"prompt": "a", "top_p": 0}"#, status: 400, code: .invalidRequest),
            Case(name: "logprobs 1000", path: completions, body: #"{"prompt": "a", "logprobs": 1000}"#, status: 400, code: .invalidRequest),
            Case(name: "prompt_logprobs 21", path: completions, body: #"{"prompt": "a b", "prompt_logprobs": 21}"#, status: 400, code: .invalidRequest),
            Case(name: "id past the vocabulary", path: completions, body: #"{"prompt": [1, 999999]}"#, status: 400, code: .tokenOutOfRange),
            Case(name: "negative id", path: completions, body: #"{"prompt": [-1]}"#, status: 400, code: .tokenOutOfRange),
            Case(name: "id beyond Int32", path: completions, body: #"{"prompt": [4294967296]}"#, status: 400, code: .invalidRequest),
            Case(name: "empty id list", path: completions, body: #"{"prompt": []}"#, status: 400, code: .invalidRequest),
            Case(name: "two prompts", path: completions, body: #"{"prompt": ["a", "b"]}"#, status: 400, code: .invalidRequest),
            Case(name: "n = 3", path: completions, body: #"{"prompt": "a", "n": 3}"#, status: 400, code: .invalidRequest),
            Case(name: "unknown model", path: completions, body: #"{"model": "gpt-9", "prompt": "a"}"#, status: 404, code: .notFound),
            Case(name: "five stop strings", path: completions, body: #"{"prompt": "a", "stop": ["1","2","3","4","5"]}"#, status: 400, code: .invalidRequest),
            Case(name: "prompt past the context", path: completions, body: "{\"prompt\": [" + Array(repeating: "11", count: 40000).joined(separator: ",") + "]}",
                 status: 400, code: .contextFull),
            Case(name: "body over the limit", path: completions, body: "{\"prompt\": \"\(big)\"}", status: 413, code: .payloadTooLarge, mayClose: true),
            Case(name: "chat without messages", path: chat, body: #"{"messages": []}"#, status: 400, code: .invalidRequest),
            Case(name: "chat messages not a list", path: chat, body: #"{"messages": "hi"}"#, status: 400, code: .invalidRequest),
            Case(name: "chat unknown role", path: chat, body: #"{"messages": [{"role": "robot", "content": "x"}]}"#, status: 400, code: .invalidRequest),
            Case(name: "chat image part", path: chat, body: #"{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}"#,
                 status: 400, code: .invalidRequest),
            Case(name: "chat top_logprobs 50", path: chat, body: #"{"messages": [{"role": "user", "content": "x"}], "logprobs": true, "top_logprobs": 50}"#,
                 status: 400, code: .invalidRequest),
            Case(name: "no API key", path: completions, body: #"{"prompt": "a"}"#, key: nil, status: 401, code: .unauthorized),
            Case(name: "wrong API key", path: completions, body: #"{"prompt": "a"}"#, key: "guess", status: 401, code: .unauthorized),
            Case(name: "no API key on metrics", method: .GET, path: "/metrics", key: nil, status: 401, code: .unauthorized),
            Case(name: "unknown route", method: .GET, path: "/v2/everything", status: 404, code: .notFound),
            Case(name: "verify an unknown session", path: "/tandem/v1/sessions/ffff/verify", body: #"{"context_length": 0, "draft": [1]}"#,
                 status: 404, code: .sessionNotFound),
            Case(name: "verify with the wrong context length", path: verify, body: "{\"context_length\": \(length + 1), \"draft\": [1]}",
                 status: 409, code: .contextMismatch),
            // An empty draft is a sync (valid); one with an id past the vocabulary is not.
            Case(name: "sync an id past the vocabulary", path: verify, body: "{\"context_length\": \(length), \"append\": [151936], \"draft\": []}",
                 status: 400, code: .tokenOutOfRange),
            Case(name: "verify 65 draft tokens", path: verify, body: "{\"context_length\": \(length), \"draft\": [" + Array(repeating: "5", count: 65).joined(separator: ",") + "]}",
                 status: 400, code: .tooManyTokens),
            Case(name: "verify an id past the vocabulary", path: verify, body: "{\"context_length\": \(length), \"draft\": [151936]}",
                 status: 400, code: .tokenOutOfRange),
            Case(name: "verify draft_probs of the wrong length", path: verify, body: "{\"context_length\": \(length), \"draft\": [1, 2], \"draft_probs\": [0.5]}",
                 status: 400, code: .invalidRequest),
            Case(name: "verify a probability of 1.5", path: verify, body: "{\"context_length\": \(length), \"draft\": [1], \"draft_probs\": [1.5]}",
                 status: 400, code: .invalidRequest),
            Case(name: "verify top_k 100", path: verify, body: "{\"context_length\": \(length), \"draft\": [1], \"top_k\": 100}",
                 status: 400, code: .invalidRequest),
            Case(name: "verify without context_length", path: verify, body: #"{"draft": [1]}"#, status: 400, code: .invalidRequest),
            Case(name: "session of protocol version 2", path: "/tandem/v1/sessions", body: #"{"protocol_version": 2}"#, status: 400, code: .unsupportedVersion),
            Case(name: "session with a bad context id", path: "/tandem/v1/sessions", body: #"{"context": [1, -7]}"#, status: 400, code: .tokenOutOfRange),
            Case(name: "close an unknown session", method: .DELETE, path: "/tandem/v1/sessions/abc", status: 404, code: .sessionNotFound),
            Case(name: "SGLang text and ids together", path: "/generate", body: #"{"text": "a", "input_ids": [1]}"#, status: 400, code: .invalidRequest),
            Case(name: "SGLang logprob_start_len past the prompt", path: "/generate",
                 body: #"{"input_ids": [1, 2], "return_logprob": true, "logprob_start_len": 9}"#, status: 400, code: .invalidRequest),
        ]
    }

    static let referencePrompt = #"{"prompt": "def add(a, b):", "max_tokens": 12, "temperature": 0}"#

    func text(of body: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
        return ((object["choices"] as! [[String: Any]])[0]["text"] as! String)
    }

    @Test func everyHostileRequestGetsItsErrorAndTheServerKeepsServing() async throws {
        let server = try await sharedServer.value
        let before = try await server.send(.POST, Self.completions, body: Self.referencePrompt)
        #expect(before.status == 200)
        let expected = try text(of: before.body)
        #expect(!expected.isEmpty)

        let session = try await server.json(.POST, "/tandem/v1/sessions", body: #"{"context": [151644, 872, 198, 9707]}"#)
        let id = session["session_id"] as! String
        let cases = Self.cases(session: id, length: session["context_length"] as! Int)
        #expect(cases.count >= 30)
        for c in cases {
            let answer: (status: Int, body: String, headers: HTTPHeaders)
            do {
                answer = try await server.send(c.method, c.path, body: c.body, bytes: c.bytes, key: c.key)
            } catch {
                if !c.mayClose { Issue.record("\(c.name): \(error)") }
                continue
            }
            #expect(answer.status == c.status, "\(c.name): \(answer.status) \(answer.body.prefix(300))")
            let decoded = try? JSONDecoder().decode(ErrorResponse.self, from: Data(answer.body.utf8))
            #expect(decoded?.code == c.code, "\(c.name): \(answer.body.prefix(300))")
            #expect(answer.headers.first(name: "Content-Type") == "application/json", "\(c.name)")
            // Still serving, with the same answer.
            let after = try await server.send(.GET, "/health", key: nil)
            #expect(after.status == 200, "\(c.name): health \(after.status)")
        }
        let again = try await server.send(.POST, Self.completions, body: Self.referencePrompt)
        #expect(again.status == 200)
        #expect(try text(of: again.body) == expected)
        // The session survived every refusal unchanged.
        let verified = try await server.json(.POST, "/tandem/v1/sessions/\(id)/verify", body: #"{"context_length": 4, "draft": [11]}"#)
        #expect(verified["accepted"] != nil)
        let metrics = try await server.send(.GET, "/metrics")
        #expect(metrics.body.contains("tandem_rejected_requests_total{code=\"context_mismatch\"}"))
    }

    @Test func aClientThatHangsUpMidStreamCancelsItsWork() async throws {
        let server = try await sharedServer.value
        let connection = try RawConnection(port: server.port)
        let body = #"{"messages": [{"role": "user", "content": "Write a very long essay about rivers."}], "max_tokens": 400, "temperature": 0, "stream": true}"#
        connection.send(RawConnection.post("/v1/chat/completions", body: body, key: TestServer.apiKey))
        let head = await offPool { connection.read(until: "data: ", times: 4) }
        #expect(head.hasPrefix("HTTP/1.1 200"))
        let cancelledBefore = server.cloud.metricsSnapshot().cancelledRequests
        connection.hangUp()
        let generatedAtHangUp = server.cloud.metricsSnapshot().generatedTokens
        var idle = false
        for _ in 0..<300 {
            if server.cloud.prometheusText().contains("tandem_queue_depth 0\n") { idle = true; break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(idle, "the abandoned generation is still queued")
        // Dropped as cancelled, well before its 400 tokens: the server notices the hang-up at
        // its next writes (how many tokens that takes depends on how busy the machine is).
        #expect(server.cloud.metricsSnapshot().cancelledRequests > cancelledBefore)
        #expect(server.cloud.metricsSnapshot().generatedTokens - generatedAtHangUp < 200)
        let after = try await server.send(.POST, Self.completions, body: Self.referencePrompt)
        #expect(after.status == 200)
    }

    @Test func aClientThatHangsUpBeforeTheAnswerCancelsItsWork() async throws {
        let server = try await sharedServer.value
        let connection = try RawConnection(port: server.port)
        connection.send(RawConnection.post(Self.completions, body: #"{"prompt": "Once upon a time", "max_tokens": 400, "temperature": 0}"#,
                                           key: TestServer.apiKey))
        try await Task.sleep(for: .milliseconds(300))
        connection.hangUp()
        var idle = false
        for _ in 0..<300 {
            if server.cloud.prometheusText().contains("tandem_queue_depth 0\n") { idle = true; break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(idle, "the abandoned completion is still queued")
        #expect(try await server.send(.GET, "/health", key: nil).status == 200)
    }
}
