import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TandemEngine
import TandemEval
import TandemProtocol

/// Simulated devices against a running `tandem serve`: each holds a session and sends
/// verification chunks as fast as the answers come back (`tandem bench serve`).
public struct ServeLoad: Sendable {
    public var url: String
    public var apiKey: String?
    public var sessions: Int
    public var duration: Double
    public var chunk: Int
    public var context: Int
    let client: HTTPClient

    public init(url: String, apiKey: String?, sessions: Int, duration: Double, chunk: Int, context: Int, client: HTTPClient) {
        self.url = url
        self.apiKey = apiKey
        self.sessions = sessions
        self.duration = duration
        self.chunk = chunk
        self.context = context
        self.client = client
    }

    /// What one run measured.
    public struct Result: Encodable, Sendable {
        public var scheduler: String
        public var sessions: Int
        public var duration_s: Double
        public var verifications: Int
        public var verifications_per_s: Double
        public var verified_tokens_per_s: Double
        public var latency_ms: Latency
        public var packing_factor: Double
        public var errors: Int
        public var request_bytes_per_verification: Double
        public var response_bytes_per_verification: Double

        public struct Latency: Encodable, Sendable {
            public var p50: Double
            public var p99: Double
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    // MARK: HTTP

    func send(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(600))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), Data(buffer.readableBytesView))
    }

    func call<Answer: Decodable>(_ method: HTTPMethod, _ path: String, _ body: some Encodable, as: Answer.Type) async throws -> Answer {
        let (status, data) = try await send(method, path, body: try JSONEncoder().encode(body))
        guard (200..<300).contains(status) else {
            throw Failure(description: "\(method) \(path): HTTP \(status) \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        return try JSONDecoder().decode(Answer.self, from: data)
    }

    struct Policy: Codable { var policy: String }

    public func policy() async throws -> String {
        let (status, data) = try await send(.GET, TandemAPI.schedulerPath)
        guard status == 200 else { throw Failure(description: "GET \(TandemAPI.schedulerPath): HTTP \(status)") }
        return try JSONDecoder().decode(Policy.self, from: data).policy
    }

    public func setPolicy(_ policy: String) async throws {
        _ = try await call(.PUT, TandemAPI.schedulerPath, Policy(policy: policy), as: Policy.self)
    }

    /// Counters from `/metrics`: steps, tokens run in steps, the token budget.
    func stepCounters() async throws -> (steps: Double, tokens: Double, budget: Double) {
        let (status, data) = try await send(.GET, "/metrics")
        guard status == 200 else { throw Failure(description: "GET /metrics: HTTP \(status)") }
        let values = CloudCounters.samples(prometheus: String(decoding: data, as: UTF8.self))
        return (values["tandem_steps_total"] ?? 0, values["tandem_step_tokens_total"] ?? 0, values["tandem_token_budget"] ?? 1)
    }

    // MARK: Devices

    /// One device: its session and what it has seen.
    struct Device {
        var id: String
        var length: Int
        var random: SplitMix64
    }

    func randomTokens(_ count: Int, _ random: inout SplitMix64) -> [Int32] {
        (0..<count).map { _ in Int32(200 + random.next() % 30_000) }
    }

    func openDevice(_ index: Int) async throws -> Device {
        var random = SplitMix64(state: UInt64(index + 1))
        let created = try await call(.POST, TandemAPI.sessionsPath,
                                     CreateSessionRequest(context: randomTokens(context, &random)), as: CreateSessionResponse.self)
        var device = Device(id: created.sessionID, length: created.contextLength, random: random)
        _ = try await verify(&device)   // prefill the context before the timed window
        return device
    }

    /// One verification; returns the request and response sizes.
    func verify(_ device: inout Device) async throws -> (Int, Int) {
        let request = VerifyRequest(contextLength: device.length, draft: randomTokens(chunk, &device.random),
                                    stallMilliseconds: Double(device.random.next() % 50))
        let body = try JSONEncoder().encode(request)
        let (status, data) = try await send(.POST, TandemAPI.verifyPath(session: device.id), body: body)
        guard status == 200 else {
            if let error = try? JSONDecoder().decode(ErrorResponse.self, from: data), let held = error.error.contextLength {
                device.length = held   // resync after a mismatch
            }
            throw Failure(description: "verify: HTTP \(status)")
        }
        device.length = try JSONDecoder().decode(VerifyResponse.self, from: data).contextLength
        return (body.count, data.count)
    }

    /// Opens the sessions, runs the timed window, closes the sessions.
    public func run(label: String) async throws -> Result {
        let devices = try await withThrowingTaskGroup(of: Device.self) { group in
            for index in 0..<sessions { group.addTask { try await openDevice(index) } }
            return try await group.reduce(into: [Device]()) { $0.append($1) }
        }
        let before = try await stepCounters()
        let start = ContinuousClock.now
        let end = start + .milliseconds(Int(duration * 1000))
        struct DeviceStats: Sendable {
            var latencies: [Double] = []
            var errors = 0
            var bytes = (0, 0)
        }
        let stats = await withTaskGroup(of: DeviceStats.self) { group in
            for device in devices {
                group.addTask {
                    var device = device
                    var stats = DeviceStats()
                    // At least one verification per device, even when its task starts late
                    // (a busy machine can delay it past a short duration).
                    repeat {
                        let began = ContinuousClock.now
                        do {
                            let (up, down) = try await verify(&device)
                            let elapsed = ContinuousClock.now - began
                            stats.latencies.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) * 1e-15)
                            stats.bytes.0 += up
                            stats.bytes.1 += down
                        } catch {
                            stats.errors += 1
                        }
                    } while ContinuousClock.now < end
                    return stats
                }
            }
            return await group.reduce(into: [DeviceStats]()) { $0.append($1) }
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let after = try await stepCounters()
        for device in devices { _ = try? await send(.DELETE, TandemAPI.sessionPath(session: device.id)) }

        let latencies = stats.flatMap(\.latencies).sorted()
        func percentile(_ q: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int((q * Double(latencies.count)).rounded(.up)) - 1)]
        }
        let count = latencies.count
        let steps = after.steps - before.steps
        return Result(
            scheduler: label, sessions: sessions, duration_s: seconds, verifications: count,
            verifications_per_s: Double(count) / seconds, verified_tokens_per_s: Double(count * chunk) / seconds,
            latency_ms: .init(p50: percentile(0.5), p99: percentile(0.99)),
            packing_factor: steps > 0 ? (after.tokens - before.tokens) / (steps * after.budget) : 0,
            errors: stats.reduce(0) { $0 + $1.errors },
            request_bytes_per_verification: count > 0 ? Double(stats.reduce(0) { $0 + $1.bytes.0 }) / Double(count) : 0,
            response_bytes_per_verification: count > 0 ? Double(stats.reduce(0) { $0 + $1.bytes.1 }) / Double(count) : 0)
    }
}
