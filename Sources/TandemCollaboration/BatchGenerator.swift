import Foundation
import TandemEngine

/// Generates for many sequences at once: every step runs all unfinished sequences in one
/// batched forward call, so G samples of a prompt (or answers to G prompts) cost little more
/// than one. Used for routing rollouts and cloud reference answers.
public enum BatchGenerator {
    /// One answer per prompt (stop tokens excluded), sampled with the matching parameters.
    public static func generate(_ engine: Engine, prompts: [[TokenID]], sampling: [SamplingParameters], maxTokens: Int,
                                stopTokens: Set<TokenID>? = nil) throws -> [[TokenID]] {
        precondition(prompts.count == sampling.count)
        let stops = stopTokens ?? StopCondition(endOfGenerationOf: engine.tokenizer).tokenIDs
        var samplers = try sampling.map { try Sampler(parameters: $0) }
        let caches = prompts.map { _ in engine.makeCache() }
        var answers = prompts.map { _ in [TokenID]() }
        var pending = prompts                 // tokens each sequence still has to feed
        var active = Array(prompts.indices).filter { !prompts[$0].isEmpty }
        while !active.isEmpty {
            let batch = active.map { SequenceInput(cache: caches[$0], tokens: pending[$0], outputs: OutputRequest(rows: .last, distribution: .logits)) }
            let outputs = try engine.forward(batch)
            var still: [Int] = []
            for (slot, s) in active.enumerated() {
                var logits = outputs[slot].tokens[0].distribution!
                let recent = (prompts[s] + answers[s]).suffix(sampling[s].repetitionPenaltyWindow)
                let token = sampling[s].temperature == 0
                    ? logits.withUnsafeBufferPointer { Sampler.argmax(logits: $0) }
                    : samplers[s].sample(logits: &logits, recentTokens: recent)
                if stops.contains(token) { continue }
                answers[s].append(token)
                pending[s] = [token]
                if answers[s].count < maxTokens && caches[s].length + 1 < caches[s].maxLength { still.append(s) }
            }
            active = still
        }
        return answers
    }
}
