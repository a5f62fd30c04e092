import Foundation
import TandemCollaboration
import TandemEngine

/// Collects query-routing rollouts: for each task, the cloud's greedy answer (batched over
/// up to eight tasks) and G sampled device answers (batched), each judged and read by
/// `QueryFeatures`. Every finished task is handed to `save` at once, so an interrupted
/// collection resumes from the tasks in `done`.
public enum QueryRolloutCollector {
    public static func collect(device: Engine, cloud: Engine, tasks: [EvalTask], group: Int, temperature: Float, maxTokens: Int,
                               seed: UInt64, done: [String: QueryRollout] = [:],
                               save: (QueryRollout) throws -> Void = { _ in }, progress: (Int) -> Void = { _ in }) async throws -> [QueryRollout] {
        var rollouts = tasks.compactMap { done[$0.id] }
        progress(rollouts.count)
        let todo = tasks.filter { done[$0.id] == nil }
        var start = 0
        while start < todo.count {
            let chunk = Array(todo[start..<min(todo.count, start + 8)])
            start += chunk.count
            let cloudAnswers = try BatchGenerator.generate(cloud, prompts: chunk.map(\.prompt),
                                                           sampling: chunk.map { _ in .greedy }, maxTokens: maxTokens)
            for (task, cloudAnswer) in zip(chunk, cloudAnswers) {
                let cloudOutcome = try await task.outcome(try cloud.tokenizer.decode(cloudAnswer))
                // Per-task seeds: a task's samples do not depend on which tasks ran before it.
                let taskSeed = seed ^ UInt64(truncatingIfNeeded: task.id.utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 })
                let sampling = (0..<group).map { SamplingParameters(temperature: temperature, seed: taskSeed &+ UInt64($0)) }
                let answers = try BatchGenerator.generate(device, prompts: Array(repeating: task.prompt, count: group),
                                                          sampling: sampling, maxTokens: maxTokens)
                var samples: [QueryRollout.Sample] = []
                for answer in answers {
                    let text = try device.tokenizer.decode(answer)
                    let outcome = try await task.outcome(text)
                    var features = try QueryFeatures.extract(device: device, prompt: task.prompt, answer: answer)
                    if let selfCheck = task.selfCheck { features.check = try await selfCheck(text) }
                    samples.append(.init(outcome: outcome, features: features, text: text))
                }
                let rollout = QueryRollout(id: task.id, samples: samples, cloud: cloudOutcome)
                try save(rollout)
                rollouts.append(rollout)
                progress(rollouts.count)
            }
        }
        return rollouts
    }

    /// Fills in the checks of samples collected before their task had one (or before
    /// answers were checked), from the kept answer text; a sample without its text cannot be
    /// checked and is an error, since the policy needs every sample's check or none.
    public static func addChecks(_ rollouts: [QueryRollout], tasks: [EvalTask]) async throws -> [QueryRollout] {
        let checks = Dictionary(tasks.compactMap { t in t.selfCheck.map { (t.id, $0) } }, uniquingKeysWith: { a, _ in a })
        var filled = rollouts
        for r in filled.indices {
            guard let check = checks[filled[r].id] else { continue }
            for s in filled[r].samples.indices where filled[r].samples[s].features.check.isEmpty {
                guard let text = filled[r].samples[s].text else {
                    throw DatasetError("\(filled[r].id): a rollout sample without its text cannot be checked; collect the rollouts again")
                }
                filled[r].samples[s].features.check = try await check(text)
            }
        }
        return filled
    }
}
