import Foundation
import Testing
import TandemEngine
import TandemProtocol

/// Off-the-shelf clients and remote-verifier shapes against the real server.
@Suite(.serialized) struct ClientCompatibilityTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs a program; fails the test (with its output) when it does not exit 0.
    func run(_ arguments: [String]) async throws -> String {
        try await offPool { try runBlocking(arguments) }
    }

    func runBlocking(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProgramFailed(command: arguments.joined(separator: " "), status: process.terminationStatus,
                                output: String(decoding: output + errors, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self)
    }

    struct ProgramFailed: Error, CustomStringConvertible {
        var command: String
        var status: Int32
        var output: String
        var description: String { "\(command) exited \(status):\n\(output)" }
    }

    @Test func theOfficialOpenAIPackageWorks() async throws {
        let server = try await sharedServer.value
        _ = try await run([Self.repository.appendingPathComponent(".ci/ensure-openai").path])
        let script = Self.repository.appendingPathComponent("Tests/TandemServerTests/openai_client_check.py").path
        let output = try await run(["python3", script, server.base + "/v1", TestServer.apiKey, "qwen2.5-coder-0.5b-instruct"])
        let result = try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
        #expect(result["models"] as? [String] == ["qwen2.5-coder-0.5b-instruct"])
        let chatText = try #require(result["chat_text"] as? String)
        #expect(!chatText.isEmpty)
        #expect(result["stream_text"] as? String == chatText)
        #expect(result["stream_finishes"] as? [String] == [result["chat_finish"] as! String])
        #expect(result["stream_usage"] as? [Int] == result["chat_usage"] as? [Int])
        #expect((result["chat_usage"] as? [Int])?[1] == 24 || result["chat_finish"] as? String == "stop")
        #expect(result["completion_stream_text"] as? String == result["completion_text"] as? String)
        #expect(result["completion_logprob_tokens"] as? Int == 8)
        let promptLogprobs = try #require(result["ids_prompt_logprobs"] as? [Any])
        #expect(promptLogprobs.count == 6)
        #expect(promptLogprobs[0] is NSNull)
        let ids = [755, 912, 2877, 11, 293, 982]
        for (index, entry) in promptLogprobs.enumerated().dropFirst() {
            let map = try #require(entry as? [String: [String: Any]], "position \(index)")
            let own = try #require(map[String(ids[index])], "position \(index) lacks the prompt token")
            #expect(own["logprob"] is Double && own["rank"] is Int && own["decoded_token"] is String)
            #expect(map.count >= 3 && map.count <= 4)
        }
        print("openai package: chat \(chatText.debugDescription)")
    }

    @Test func sglangGenerateReturnsPromptLogprobsFromTheStart() async throws {
        let server = try await sharedServer.value
        let ids = [755, 912, 2877, 11, 293, 982]
        let answer = try await server.json(.POST, "/generate", body: """
            {"input_ids": \(ids), "return_logprob": true, "logprob_start_len": 2, "top_logprobs_num": 2, "sampling_params": {"max_new_tokens": 0}}
            """)
        let meta = try #require(answer["meta_info"] as? [String: Any])
        let input = try #require(meta["input_token_logprobs"] as? [[Any]])
        #expect(input.map { $0[1] as? Int } == ids[2...].map { $0 })
        #expect(input.allSatisfy { $0[0] is Double })
        #expect((meta["input_top_logprobs"] as? [[Any]])?.count == 4)
        #expect(answer["output_ids"] as? [Int] == [])
        // The same numbers as vLLM-style prompt_logprobs on /v1/completions.
        let completion = try await server.json(.POST, "/v1/completions", body: """
            {"prompt": \(ids), "max_tokens": 1, "temperature": 0, "prompt_logprobs": 0}
            """)
        let listing = ((completion["choices"] as! [[String: Any]])[0]["prompt_logprobs"] as! [Any])
        for (offset, entry) in input.enumerated() {
            let index = offset + 2
            let vllm = (listing[index] as! [String: [String: Any]])[String(ids[index])]!["logprob"] as! Double
            #expect(abs(vllm - (entry[0] as! Double)) < 1e-3, "position \(index)")
        }
    }

    @Test func aVerificationOverHTTPAndItsSize() async throws {
        let server = try await sharedServer.value
        let tokenizer = server.cloud.engine.tokenizer
        let context = try tokenizer.encode("<|im_start|>user\nWrite a Python function that adds two numbers.<|im_end|>\n<|im_start|>assistant\n", parseSpecial: true)
        let created = try await server.send(.POST, "/tandem/v1/sessions", body: String(decoding: try JSONEncoder().encode(CreateSessionRequest(context: context)), as: UTF8.self))
        #expect(created.status == 201)
        let session = try JSONDecoder().decode(CreateSessionResponse.self, from: Data(created.body.utf8))
        let draft = try tokenizer.encode("```python\ndef add(a, b):\n")
        var sizes: [(Int, Int)] = []
        var length = session.contextLength
        for round in 0..<3 {
            let request = VerifyRequest(contextLength: length, draft: Array(draft.prefix(8)), draftProbabilities: Array(repeating: 0.9, count: 8),
                                        topK: 1, stallMilliseconds: 20)
            let body = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
            let answer = try await server.send(.POST, "/tandem/v1/sessions/\(session.sessionID)/verify", body: body)
            #expect(answer.status == 200, "round \(round): \(answer.body)")
            let verdict = try JSONDecoder().decode(VerifyResponse.self, from: Data(answer.body.utf8))
            #expect(verdict.positions.count == verdict.accepted + 1)
            length = verdict.contextLength
            sizes.append((body.utf8.count, answer.body.utf8.count))
        }
        // A draft the cloud agrees with: the model's own greedy continuation.
        var held: [TandemEngine.TokenID] = []
        let cloudContext = try server.cloud.sessionContext(session.sessionID)
        try server.cloud.engine.runGeneration(GenerationRequest(prompt: cloudContext, maxTokens: 8, stopTokens: []),
                                              cache: server.cloud.engine.makeCache()) { if case .token(let id) = $0 { held.append(id) } }
        let agreeing = String(decoding: try JSONEncoder().encode(VerifyRequest(contextLength: length, draft: held, topK: 1)), as: UTF8.self)
        let answer = try await server.send(.POST, "/tandem/v1/sessions/\(session.sessionID)/verify", body: agreeing)
        let verdict = try JSONDecoder().decode(VerifyResponse.self, from: Data(answer.body.utf8))
        print("bytes per verification (8-token draft, top_k 1), request/response JSON bodies: with draft_probs, first token rejected \(sizes); "
              + "no draft_probs, \(verdict.accepted) accepted: (\(agreeing.utf8.count), \(answer.body.utf8.count))")
        #expect(verdict.accepted >= 6)
        #expect(sizes.allSatisfy { $0.0 < 1024 && $0.1 < 1024 })
        let closed = try await server.send(.DELETE, "/tandem/v1/sessions/\(session.sessionID)")
        #expect(closed.status == 200)
    }

    @Test func healthModelsAndMetrics() async throws {
        let server = try await sharedServer.value
        let health = try await server.send(.GET, "/health", key: nil)
        #expect(health.status == 200 && health.body.contains("\"ok\""))
        let models = try await server.json(.GET, "/v1/models")
        #expect(((models["data"] as! [[String: Any]])[0]["id"] as! String) == "qwen2.5-coder-0.5b-instruct")
        let metrics = try await server.send(.GET, "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
        for name in ["tandem_packing_factor_bucket", "tandem_step_seconds_sum", "tandem_queue_wait_seconds_count",
                     "tandem_verification_latency_seconds_bucket", "tandem_sessions ", "tandem_kv_bytes ", "tandem_evictions_total ",
                     "# TYPE tandem_rejected_requests_total counter"] {
            #expect(metrics.body.contains(name), "\(name)")
        }
    }
}
