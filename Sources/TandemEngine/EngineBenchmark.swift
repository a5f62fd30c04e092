#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Throughput of one engine on the shapes that matter for Tandem, measured like
/// `llama-bench`: each figure after a warm-up run, the best of `repetitions` runs.
///
/// - decode: 64 single-token steps after a short prompt (`llama-bench -n 64`);
/// - pp16, pp128: a 16- and a 128-token prompt in one call (`llama-bench -p 16,128`);
/// - verify: 8 sequences, each with a 512-token cached context, verifying an 8-token draft
///   chunk each in one batched call (top-8 log-probabilities at every draft position),
///   the cloud's unit of work.
public struct EngineBenchmark: Sendable {
    /// One measured figure.
    public enum Figure: String, Sendable, CaseIterable {
        case pp16, pp128, decode, verify
    }

    public struct Result: Sendable, Codable, Equatable {
        public var decodeTokensPerSecond: Double
        public var pp16TokensPerSecond: Double
        public var pp128TokensPerSecond: Double
        public var verifyTokensPerSecond: Double
        public var peakRSSMegabytes: Double
        /// Largest KV cache memory held during the run (the verify figure's 8 caches);
        /// not part of the JSON, which has exactly the five figures above.
        public var kvCacheMegabytes: Double = 0

        enum CodingKeys: String, CodingKey {
            case decodeTokensPerSecond = "decode_tok_s"
            case pp16TokensPerSecond = "pp16_tok_s"
            case pp128TokensPerSecond = "pp128_tok_s"
            case verifyTokensPerSecond = "verify_tok_s"
            case peakRSSMegabytes = "peak_rss_mb"
        }

        public func tokensPerSecond(_ figure: Figure) -> Double {
            switch figure {
            case .pp16: pp16TokensPerSecond
            case .pp128: pp128TokensPerSecond
            case .decode: decodeTokensPerSecond
            case .verify: verifyTokensPerSecond
            }
        }
    }

    public let engine: Engine
    public var repetitions: Int
    public var decodeTokens = 64
    public var verifySequences = 8
    public var verifyContext = 512
    public var verifyChunk = 8

    public init(engine: Engine, repetitions: Int = 3) {
        precondition(repetitions >= 1, "at least one repetition")
        self.engine = engine
        self.repetitions = repetitions
    }

    /// Runs every figure; `progress(figure, done, total)` is called after each timed run.
    public func run(progress: (Figure, Int, Int) -> Void = { _, _, _ in }) throws(EngineError) -> Result {
        let pp16 = try prompt(16) { progress(.pp16, $0, $1) }
        let pp128 = try prompt(128) { progress(.pp128, $0, $1) }
        let decode = try decode { progress(.decode, $0, $1) }
        let (verify, kvBytes) = try verify { progress(.verify, $0, $1) }
        return Result(decodeTokensPerSecond: decode, pp16TokensPerSecond: pp16, pp128TokensPerSecond: pp128,
                      verifyTokensPerSecond: verify, peakRSSMegabytes: Self.peakResidentMegabytes(),
                      kvCacheMegabytes: Double(kvBytes) / (1024 * 1024))
    }

    /// Tokens/s of one `count`-token prompt in one call into an empty cache.
    public func prompt(_ count: Int, progress: (Int, Int) -> Void = { _, _ in }) throws(EngineError) -> Double {
        let tokens = syntheticTokens(count, offset: 0)
        let cache = engine.makeCache(maxLength: count)
        return try best(tokens: count, progress: progress) { () throws(EngineError) in
            cache.truncate(to: 0)
            _ = try engine.forward(tokens, cache: cache, outputs: OutputRequest())
        }
    }

    /// Tokens/s of `decodeTokens` single-token steps after an 8-token prompt.
    public func decode(progress: (Int, Int) -> Void = { _, _ in }) throws(EngineError) -> Double {
        let prompt = syntheticTokens(8, offset: 0)
        let steps = syntheticTokens(decodeTokens, offset: 500)
        let cache = engine.makeCache(maxLength: prompt.count + steps.count)
        return try best(tokens: steps.count, progress: progress) { () throws(EngineError) in
            cache.truncate(to: 0)
            _ = try engine.forward(prompt, cache: cache, outputs: .cacheOnly)
            for token in steps { _ = try engine.forward([token], cache: cache) }
        } exclude: { () throws(EngineError) in
            cache.truncate(to: 0)
            _ = try engine.forward(prompt, cache: cache, outputs: .cacheOnly)
        }
    }

    /// Tokens/s of `verifySequences` draft chunks of `verifyChunk` tokens, each after
    /// `verifyContext` cached tokens, in one batched call; also the caches' total bytes.
    public func verify(progress: (Int, Int) -> Void = { _, _ in }) throws(EngineError) -> (Double, Int) {
        let context = syntheticTokens(verifyContext, offset: 0)
        let first = engine.makeCache(maxLength: verifyContext + verifyChunk)
        _ = try engine.forward(context, cache: first, outputs: .cacheOnly)
        let caches = [first] + (1..<verifySequences).map { _ in first.fork() }
        let batch = caches.enumerated().map { index, cache in
            SequenceInput(cache: cache, tokens: syntheticTokens(verifyChunk, offset: 2000 + 97 * index),
                          outputs: OutputRequest(rows: .all, distribution: .topK(8)))
        }
        let rate = try best(tokens: verifySequences * verifyChunk, progress: progress) { () throws(EngineError) in
            for cache in caches { cache.truncate(to: verifyContext) }
            _ = try engine.forward(batch)
        }
        return (rate, caches.reduce(0) { $0 + $1.memoryBytes })
    }

    /// Best tokens/s over a warm-up and `repetitions` timed runs of `body`; the time of
    /// `exclude` (setup measured the same way) is subtracted.
    private func best(
        tokens: Int, progress: (Int, Int) -> Void,
        _ body: () throws(EngineError) -> Void, exclude: (() throws(EngineError) -> Void)? = nil
    ) throws(EngineError) -> Double {
        let clock = ContinuousClock()
        try body()
        var fastest = Double.infinity
        for run in 1...repetitions {
            var setup = 0.0
            if let exclude {
                let start = clock.now
                try exclude()
                setup = Self.seconds(clock.now - start)
            }
            let start = clock.now
            try body()
            fastest = min(fastest, max(1e-9, Self.seconds(clock.now - start) - setup))
            progress(run, repetitions)
        }
        return Double(tokens) / fastest
    }

    /// Deterministic, ordinary-looking token ids inside the vocabulary.
    private func syntheticTokens(_ count: Int, offset: Int) -> [TokenID] {
        let vocabulary = engine.configuration.vocabularySize
        return (0..<count).map { TokenID((1000 + (offset + $0) * 7) % max(1, vocabulary - 1000) + 100) }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// The process's peak resident set in MiB (`VmHWM` on Linux, `ru_maxrss` elsewhere).
    public static func peakResidentMegabytes() -> Double {
        #if os(Linux)
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") {
            return kilobytes / 1024
        }
        #endif
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / (1024 * 1024)
        #endif
    }
}
