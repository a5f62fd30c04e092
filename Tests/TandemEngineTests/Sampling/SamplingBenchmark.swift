import Foundation
import Testing
import TandemEngine

/// Time per sampled token over a Qwen-sized vocabulary (151,936 logits), per chain.
/// Run with `TANDEM_BENCH=1 swift test -c release --filter SamplingBenchmark`. Not a timed
/// assertion: it prints a table. The logits copy before each call is not timed.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TANDEM_BENCH"] == "1"))
struct SamplingBenchmark {
    static let chains: [(String, SamplingParameters)] = [
        ("greedy", .greedy),
        ("greedy, repetition penalty", SamplingParameters(repetitionPenalty: 1.1)),
        ("temperature 0.8", SamplingParameters(temperature: 0.8)),
        ("temperature 0.8, top-p 0.95", SamplingParameters(temperature: 0.8, topP: 0.95)),
        ("temperature 0.8, top-k 40", SamplingParameters(temperature: 0.8, topK: 40)),
        ("temperature 0.8, min-p 0.05", SamplingParameters(temperature: 0.8, minP: 0.05)),
        ("llama.cpp defaults", .llamaCppDefaults(seed: 1)),
    ]

    @Test func microsecondsPerToken() {
        let vocabularySize = 151_936
        var base = SamplingTestSupport.randomLogits(count: vocabularySize, seed: 1)
        for peak in 0..<20 { base[(peak * 7919) % vocabularySize] = 9 + Float(peak) * 0.2 }
        let history = (0..<256).map { TokenID(($0 * 7919) % vocabularySize) }
        let iterations = 200
        print("chain                          sample µs   distribution µs   survivors")
        for (name, parameters) in Self.chains {
            var sampler = SamplingTestSupport.sampler(parameters)
            var logits = base
            var sampling = Duration.zero
            for iteration in -3..<iterations {   // three untimed warm-up calls
                logits.withUnsafeMutableBufferPointer { target in
                    base.withUnsafeBufferPointer { source in _ = target.update(fromContentsOf: source) }
                }
                let start = ContinuousClock.now
                _ = sampler.sample(logits: &logits, recentTokens: history)
                if iteration >= 0 { sampling += ContinuousClock.now - start }
            }
            var survivors = 0
            let distribution = ContinuousClock().measure {
                for _ in 0..<20 { survivors = sampler.transformedDistribution(logits: base, recentTokens: history).count }
            }
            print(name.padding(toLength: 30, withPad: " ", startingAt: 0),
                  String(format: "%10.1f %17.1f %11d", Self.microseconds(sampling) / Double(iterations),
                         Self.microseconds(distribution) / 20, survivors))
        }
    }

    static func microseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e6 + Double(attoseconds) / 1e12
    }
}
