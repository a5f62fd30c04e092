import Foundation
import TandemCloud
import TandemCollaboration
import TandemEngine
import TandemEval
import TandemModelStore
import TandemTestSupport
import Testing

/// The harness on the real pair (0.5B device, 1.5B in-process cloud, one thread each):
/// two arithmetic problems under two modes, then a resume that finds nothing left to do.
@Suite struct EndToEndTests {
    @Test func twoArithmeticProblemsTwoModesWithResume() async throws {
        let device = try Engine(path: try await ModelStore().ensure(TestModel.qwen05.rawValue), threads: 1)
        let cloudEngine = try Engine(path: try await ModelStore().ensure(TestModel.qwen15.rawValue), threads: 1, batchInvariant: true)
        let service = CloudService(engine: cloudEngine, configuration: CloudConfiguration(modelName: TestModel.qwen15.rawValue))
        let runner = EvalRunner(device: device, cloud: InProcessVerifier(service: service), concurrency: 2) {
            CloudCounters(prometheus: service.prometheusText())
        }
        let problems = ArithmeticProblem.generate(count: 2, seed: 7)
        let tasks = try EvalTask.arithmetic(problems, tokenizer: device.tokenizer)
        let groups = EvalGroup.plan(modes: [.device, .speculative], sweep: [], base: CollaborationOptions(maxTokens: 24))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("eval-e2e-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let output = try EvalOutput(directory: dir)

        try await runner.run(tasks: tasks, groups: groups, output: output)
        let records = try output.records()
        #expect(records.count == 4)
        #expect(Set(records.map(\.key)).count == 4)
        for r in records {
            #expect(r.tokens == r.stats.generatedTokens && r.tokens > 0)
            #expect(r.tbtSamples.count == r.tokens - 1, "\(r.key): \(r.tbtSamples.count) gaps for \(r.tokens) tokens")
            let problem = problems.first { $0.id == r.taskID }!
            #expect(r.passed == problem.isCorrect(r.text))
        }
        // Device mode never touches the cloud; speculative verifies every token and equals the
        // cloud model alone, which the device's greedy text need not.
        #expect(records.filter { $0.mode == .device }.allSatisfy { $0.stats.offloadedTokens == 0 && $0.stats.cloudCalls == 0 })
        for r in records where r.mode == .speculative {
            #expect(r.stats.offloadRatio >= 0.9 && r.stats.cloudCalls > 0, "\(r.stats)")
        }
        let costs = try output.costs()
        #expect(costs.count == 2)
        #expect(costs.first { $0.mode == .device }?.cloud == CloudCounters())
        let speculative = try #require(costs.first { $0.mode == .speculative })
        #expect(speculative.cloud.busySeconds > 0 && speculative.cloud.tokens >= 48)

        let summaries = try output.writeSummary(title: "e2e")
        #expect(summaries.map(\.tasks) == [2, 2])
        #expect(summaries[1].cloudBusySecondsPerOutputToken ?? 0 > 0)

        // Resume: every key is done, nothing runs, no line is added.
        try await runner.run(tasks: tasks, groups: groups, output: output, skip: Set(records.map(\.key)))
        #expect(try output.records().count == 4 && output.costs().count == 2)

        // Interleaved, one run at a time: task by task, each mode in turn, a cost line per run
        // that the summary adds up.
        let serial = EvalRunner(device: device, cloud: InProcessVerifier(service: service), concurrency: 1) {
            CloudCounters(prometheus: service.prometheusText())
        }
        let interleavedOutput = try EvalOutput(directory: dir + "-interleaved")
        defer { try? FileManager.default.removeItem(atPath: dir + "-interleaved") }
        try await serial.run(tasks: tasks, groups: groups, output: interleavedOutput, interleaved: true)
        let interleaved = try interleavedOutput.records()
        #expect(interleaved.map(\.mode) == [.device, .speculative, .device, .speculative])
        #expect(interleaved.map(\.taskID) == [tasks[0].id, tasks[0].id, tasks[1].id, tasks[1].id])
        // Greedy: the same tokens as the group-by-group run.
        for r in interleaved { #expect(r.tokenIDs == records.first { $0.key == r.key }?.tokenIDs, "\(r.key)") }
        let perRun = try interleavedOutput.costs()
        #expect(perRun.count == 4 && perRun.allSatisfy { $0.tasks == 1 })
        let added = try interleavedOutput.writeSummary(title: "e2e interleaved")
        #expect(added.map(\.tasks) == [2, 2])
        #expect(perRun.filter { $0.mode == .speculative }.reduce(0) { $0 + $1.cloud.tokens } >= 48)
    }
}
