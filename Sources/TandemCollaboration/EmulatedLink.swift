import Foundation
import Synchronization
import TandemEngine
import TandemProtocol

/// A network between device and cloud, emulated in the client transport:
/// `rtt=80ms,jitter=10ms,up=20mbit,down=50mbit,loss=0.01`.
///
/// Each call waits half the round trip plus jitter and the upload's serialisation time
/// before it reaches the cloud, and the same (with the download rate) for the answer. A
/// lost message (probability `loss` per direction) is retransmitted after a timeout of
/// `max(200 ms, 2 × rtt)`, as TCP would; it is never dropped for good.
public struct LinkSpec: Sendable, Equatable, CustomStringConvertible {
    public var roundTrip: Double = 0          // seconds
    public var jitter: Double = 0             // seconds (standard deviation of each one-way delay)
    public var upBitsPerSecond: Double?       // nil = unlimited
    public var downBitsPerSecond: Double?
    public var loss: Double = 0               // per message and direction

    public init(roundTrip: Double = 0, jitter: Double = 0, upBitsPerSecond: Double? = nil,
                downBitsPerSecond: Double? = nil, loss: Double = 0) {
        self.roundTrip = roundTrip
        self.jitter = jitter
        self.upBitsPerSecond = upBitsPerSecond
        self.downBitsPerSecond = downBitsPerSecond
        self.loss = loss
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses `key=value` pairs separated by commas; keys rtt, jitter (time: `80ms`, `0.08s`),
    /// up, down (rate: `20mbit`, `500kbit`, `1gbit`, `100bit`), loss (0 ≤ p < 1).
    public init(parsing spec: String) throws {
        for part in spec.split(separator: ",") where !part.trimmingCharacters(in: .whitespaces).isEmpty {
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard pieces.count == 2 else { throw ParseError(description: "link: '\(part)' is not key=value") }
            let (key, value) = (pieces[0], pieces[1])
            switch key {
            case "rtt": roundTrip = try Self.seconds(value, key)
            case "jitter": jitter = try Self.seconds(value, key)
            case "up": upBitsPerSecond = try Self.rate(value, key)
            case "down": downBitsPerSecond = try Self.rate(value, key)
            case "loss":
                guard let p = Double(value), p >= 0, p < 1 else { throw ParseError(description: "link: loss must be in [0, 1), got \(value)") }
                loss = p
            default: throw ParseError(description: "link: unknown key '\(key)' (rtt, jitter, up, down, loss)")
            }
        }
    }

    private static func seconds(_ value: String, _ key: String) throws -> Double {
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("s", 1)]
        for (suffix, scale) in units where value.hasSuffix(suffix) {
            if let number = Double(value.dropLast(suffix.count)), number >= 0, number.isFinite { return number * scale }
        }
        throw ParseError(description: "link: \(key) needs a time like 80ms or 0.08s, got \(value)")
    }

    private static func rate(_ value: String, _ key: String) throws -> Double {
        let units: [(String, Double)] = [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1)]
        for (suffix, scale) in units where value.hasSuffix(suffix) {
            if let number = Double(value.dropLast(suffix.count)), number > 0, number.isFinite { return number * scale }
        }
        throw ParseError(description: "link: \(key) needs a rate like 20mbit, got \(value)")
    }

    public var description: String {
        var parts = [String(format: "rtt=%.0fms", roundTrip * 1000)]
        if jitter > 0 { parts.append(String(format: "jitter=%.0fms", jitter * 1000)) }
        if let up = upBitsPerSecond { parts.append(String(format: "up=%.0fkbit", up / 1000)) }
        if let down = downBitsPerSecond { parts.append(String(format: "down=%.0fkbit", down / 1000)) }
        if loss > 0 { parts.append("loss=\(loss)") }
        return parts.joined(separator: ",")
    }

    /// Seconds one message of `bytes` takes in one direction, with `uniform` random numbers.
    func oneWay(bytes: Int, bitsPerSecond: Double?, _ random: () -> Double) -> Double {
        var delay = roundTrip / 2
        if jitter > 0 {
            // Box-Muller normal, delay never below zero.
            let u1 = max(random(), 1e-12), u2 = random()
            delay += jitter * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
        if let rate = bitsPerSecond { delay += Double(bytes * 8) / rate }
        while loss > 0 && random() < loss { delay += max(0.2, 2 * roundTrip) }
        return max(0, delay)
    }
}

/// A verifier behind an emulated link (see `LinkSpec`); seeded, so runs repeat.
public final class EmulatedLink: CloudVerifier {
    public let inner: any CloudVerifier
    public let spec: LinkSpec
    private let random: Mutex<SplitMix64>

    public init(_ inner: any CloudVerifier, spec: LinkSpec, seed: UInt64 = 0x7A9D) {
        self.inner = inner
        self.spec = spec
        random = Mutex(SplitMix64(state: seed))
    }

    private func uniform() -> Double {
        random.withLock { Double($0.next() >> 11) / Double(1 << 53) }
    }

    private func carry<Response>(_ call: () async throws -> Exchange<Response>, upBytes: Int) async throws -> Exchange<Response> {
        try await Task.sleep(for: .seconds(spec.oneWay(bytes: upBytes, bitsPerSecond: spec.upBitsPerSecond, uniform)))
        let exchange = try await call()
        try await Task.sleep(for: .seconds(spec.oneWay(bytes: exchange.bytesDown, bitsPerSecond: spec.downBitsPerSecond, uniform)))
        return exchange
    }

    public func createSession(_ request: CreateSessionRequest) async throws -> Exchange<CreateSessionResponse> {
        try await carry({ try await inner.createSession(request) }, upBytes: WireSize.of(request))
    }

    public func verify(session: String, _ request: VerifyRequest) async throws -> Exchange<VerifyResponse> {
        try await carry({ try await inner.verify(session: session, request) }, upBytes: WireSize.of(request))
    }

    public func generate(session: String, _ request: SessionGenerateRequest) async throws -> Exchange<SessionGenerateResponse> {
        try await carry({ try await inner.generate(session: session, request) }, upBytes: WireSize.of(request))
    }

    public func closeSession(_ session: String) async {
        await inner.closeSession(session)
    }

    public var keepsContext: Bool { inner.keepsContext }
}
