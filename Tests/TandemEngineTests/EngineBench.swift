import Foundation
import TandemEngine
import TandemTestSupport
import Testing

/// Engine throughput, run only with `TANDEM_BENCH=1` (never asserted: the machine is shared).
/// Prints tokens/s for a 16- and a 128-token prompt in one call and for 64 decode steps,
/// each after a warm-up, on the Qwen pair.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TANDEM_BENCH"] != nil))
struct EngineBench {
    @Test(arguments: [TestModel.qwen05, TestModel.qwen15])
    func throughput(model: TestModel) async throws {
        let engine = try await EngineCache.shared.engine(model)
        let clock = ContinuousClock()
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        }
        func prompt(_ count: Int) -> [TokenID] { (0..<count).map { TokenID(1000 + $0 * 7) } }
        func prefill(_ count: Int) throws -> Double {
            _ = try engine.forward(prompt(count), cache: engine.makeCache(), outputs: OutputRequest())   // warm-up
            var best = Double.infinity
            for _ in 0..<3 {
                let cache = engine.makeCache()
                let start = clock.now
                _ = try engine.forward(prompt(count), cache: cache, outputs: OutputRequest())
                best = min(best, seconds(clock.now - start))
            }
            return Double(count) / best
        }
        let pp16 = try prefill(16), pp128 = try prefill(128)
        let cache = engine.makeCache()
        _ = try engine.forward(prompt(8), cache: cache, outputs: .cacheOnly)
        _ = try engine.forward([42], cache: cache)
        let start = clock.now
        for step in 0..<64 { _ = try engine.forward([TokenID(500 + step)], cache: cache) }
        let decode = 64 / seconds(clock.now - start)
        print(String(format: "bench %@: pp16 %.1f tok/s, pp128 %.1f tok/s, decode %.1f tok/s", model.rawValue, pp16, pp128, decode))
    }
}
