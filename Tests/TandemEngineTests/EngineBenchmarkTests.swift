import Foundation
import TandemEngine
import TandemTestSupport
import TandemTokenizer
import Testing

/// The benchmark's shape, not its speed (speed is never asserted: the machine is shared).
@Suite struct EngineBenchmarkTests {
    @Test func measuresEveryFigureAndLeavesTheEngineUsable() async throws {
        let engine = try await EngineCache.shared.engine(.smollm)
        var benchmark = EngineBenchmark(engine: engine, repetitions: 1)
        benchmark.decodeTokens = 8
        var seen: [EngineBenchmark.Figure] = []
        let result = try benchmark.run { figure, _, _ in seen.append(figure) }
        #expect(seen == [.pp16, .pp128, .decode, .verify])
        for figure in EngineBenchmark.Figure.allCases {
            #expect(result.tokensPerSecond(figure) > 0 && result.tokensPerSecond(figure).isFinite, "\(figure)")
        }
        #expect(result.peakRSSMegabytes > 1)
        // 8 caches of 520 positions at least.
        let c = engine.configuration
        #expect(result.kvCacheMegabytes * 1024 * 1024 >= Double(8 * 2 * c.layerCount * 520 * c.kvDim * 4))

        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(result)) as! [String: Any]
        #expect(Set(json.keys) == ["decode_tok_s", "pp16_tok_s", "pp128_tok_s", "verify_tok_s", "peak_rss_mb"])

        // Afterwards the engine still answers like a fresh run.
        let tokens: [TokenID] = [1, 9690, 198, 2683, 359]
        let first = try engine.forward(tokens, cache: engine.makeCache(), outputs: OutputRequest(distribution: .topK(3)))
        let again = try engine.forward(tokens, cache: engine.makeCache(), outputs: OutputRequest(distribution: .topK(3)))
        #expect(first.tokens.map(\.top) == again.tokens.map(\.top))
    }
}
