import Foundation
import TandemCollaboration
import TandemEval
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite struct SummaryTests {
    func record(_ task: String, _ mode: CollaborationMode, _ sweep: SweepPoint = .none, passed: Bool,
                generated: Int = 10, offloaded: Int = 0, tbt: [Double] = [10, 20], warning: String? = nil) -> EvalRecord {
        var stats = CollaborationStats()
        stats.generatedTokens = generated
        stats.offloadedTokens = offloaded
        stats.uploadedTokens = offloaded * 2
        stats.bytesUp = offloaded * 100
        stats.deviceMilliseconds = Double(generated) * 5
        stats.ttftMilliseconds = 100
        if let warning { stats.warnings = [warning] }
        return EvalRecord(taskID: task, mode: mode, sweep: sweep, passed: passed, tokens: generated, stats: stats, tbtSamples: tbt, text: "")
    }

    @Test func sweepPointsParseAndRoundTrip() throws {
        let points = try SweepPoint.parse("budget=0.05,0.1,0.25,0.4")
        #expect(points.map(\.description) == ["budget=0.05", "budget=0.1", "budget=0.25", "budget=0.4"])
        let data = try JSONEncoder().encode(points + [.none])
        #expect(try JSONDecoder().decode([SweepPoint].self, from: data) == points + [.none])
        #expect(throws: DatasetError.self) { try SweepPoint.parse("budget=2") }
        #expect(throws: DatasetError.self) { try SweepPoint.parse("speed=1") }
        #expect(throws: DatasetError.self) { try SweepPoint.parse("budget=x") }
    }

    @Test func plansEveryModeOnceAndTandemPerSweepPoint() throws {
        let groups = EvalGroup.plan(modes: [.device, .cloud, .tandem], sweep: try SweepPoint.parse("budget=0.1,0.4"),
                                    base: CollaborationOptions(maxTokens: 7))
        #expect(groups.map { "\($0.mode.rawValue) \($0.sweep)" } == ["device -", "cloud -", "tandem budget=0.1", "tandem budget=0.4"])
        #expect(groups[3].options.policy.budget == 0.4 && groups[3].options.mode == .tandem && groups[3].options.maxTokens == 7)
        let thresholds = EvalGroup.plan(modes: [.tandem], sweep: try SweepPoint.parse("threshold=0.3"), base: CollaborationOptions())
        #expect(thresholds[0].options.policy.riskThreshold == 0.3)
    }

    @Test func tandemWithoutASweepTakesTheCalibratedThresholdForItsBudget() throws {
        let calibration = Calibration.fit(device: "d", cloud: "c", sequences: (0..<20).map { s in
            (0..<50).map { i in (i + s) % 10 == 0 ? (Float(0.3), false) : (Float(0.95), true) }
        }, chunkSize: 4, budgets: [0.25], burst: 8)
        let groups = EvalGroup.plan(modes: [.device, .tandem], sweep: [], base: CollaborationOptions(), calibration: calibration)
        let tandem = try #require(groups.first { $0.mode == .tandem })
        #expect(tandem.options.policy == calibration.policy(budget: 0.25))
        #expect(tandem.options.policy.burst == 8)
        #expect(EvalGroup.plan(modes: [.tandem], sweep: [], base: CollaborationOptions())[0].options.policy == OffloadPolicy())
    }

    @Test func summarizesPassRateOffloadPercentilesAndGapClosed() {
        let tandem = SweepPoint(key: "budget", value: 0.1)
        let records = [
            record("a", .device, passed: false), record("b", .device, passed: true), record("c", .device, passed: false), record("d", .device, passed: false),
            record("a", .cloud, passed: true, offloaded: 10), record("b", .cloud, passed: true, offloaded: 10),
            record("c", .cloud, passed: true, offloaded: 10), record("d", .cloud, passed: false, offloaded: 10),
            record("a", .tandem, tandem, passed: true, generated: 20, offloaded: 2, tbt: [1, 2, 3, 4]),
            record("b", .tandem, tandem, passed: true, generated: 20, offloaded: 6, tbt: [5, 6, 7, 8]),
            record("c", .tandem, tandem, passed: false, warning: "cloud unreachable"), record("d", .tandem, tandem, passed: false),
        ]
        let costs = [GroupCost(mode: .tandem, sweep: tandem, tasks: 2, wallSeconds: 3, cloud: CloudCounters(busySeconds: 1.2, tokens: 40, steps: 4, packingSum: 0.8, packingCount: 4)),
                     GroupCost(mode: .tandem, sweep: tandem, tasks: 2, wallSeconds: 2, cloud: CloudCounters(busySeconds: 0.8, tokens: 10, steps: 1, packingSum: 0.2, packingCount: 1))]
        let summaries = EvalSummary.summarize(records, costs: costs)
        #expect(summaries.map(\.mode) == [.device, .cloud, .tandem])
        let (device, cloud, mixed) = (summaries[0], summaries[1], summaries[2])
        #expect(device.passAt1 == 0.25 && cloud.passAt1 == 0.75 && mixed.passAt1 == 0.5)
        #expect(device.gapClosed == 0 && cloud.gapClosed == 1 && mixed.gapClosed == 0.5)
        #expect(cloud.offloadRatio == 1)
        #expect(mixed.offloadRatio == 8.0 / 60.0)
        #expect(mixed.generatedTokensPerTask == 15)
        #expect(mixed.uploadedTokensPerTask == 4)
        #expect(mixed.tbtMilliseconds.p50 == 6 && mixed.tbtMilliseconds.p99 == 20)
        #expect(mixed.cloudBusySeconds == 2.0 && mixed.cloudTokensProcessed == 50)
        #expect(abs(mixed.cloudBusySecondsPerOutputToken! - 2.0 / 60) < 1e-12)
        #expect(mixed.packingFactor == 1.0 / 5)
        #expect(mixed.wallSeconds == 5)
        #expect(device.cloudBusySeconds == nil)
        #expect(mixed.faultyTasks == 1 && device.faultyTasks == 0)
        let md = EvalSummary.markdown(summaries)
        #expect(md.split(separator: "\n").count == 5)
        #expect(md.contains("| tandem | budget=0.1 | 50.0% | 2/4 | 13.3% | 50% |"))
    }

    @Test func paretoFrontKeepsOnlyUndominatedPoints() {
        let points: [(x: Double, y: Double)] = [(0, 20), (100, 70), (30, 60), (40, 50), (30, 55), (100, 65), (0, 10)]
        #expect(EvalSummary.paretoFront(points) == [0, 2, 1])
    }

    @Test func readsCountersFromPrometheusText() {
        let text = """
        # HELP tandem_steps_total Engine steps run.
        # TYPE tandem_steps_total counter
        tandem_steps_total 12
        tandem_step_tokens_total 340
        tandem_packing_factor_bucket{le="0.05"} 3
        tandem_packing_factor_sum 1.5
        tandem_packing_factor_count 12
        tandem_step_seconds_bucket{le="+Inf"} 12
        tandem_step_seconds_sum 4.25
        tandem_step_seconds_count 12
        """
        let c = CloudCounters(prometheus: text)
        #expect(c == CloudCounters(busySeconds: 4.25, tokens: 340, steps: 12, packingSum: 1.5, packingCount: 12))
        #expect(c - c == CloudCounters())
    }

    @Test func chartsAreWellFormedSVGWithOnePointPerGroup() throws {
        let tandem = SweepPoint(key: "budget", value: 0.25)
        let records = [record("a", .device, passed: true), record("a", .cloud, passed: true, offloaded: 10),
                       record("a", .tandem, tandem, passed: false, offloaded: 3)]
        let costs = [GroupCost(mode: .cloud, sweep: .none, tasks: 1, wallSeconds: 1, cloud: CloudCounters(busySeconds: 1, tokens: 10)),
                     GroupCost(mode: .tandem, sweep: tandem, tasks: 1, wallSeconds: 1, cloud: CloudCounters(busySeconds: 0.2, tokens: 4))]
        let summaries = EvalSummary.summarize(records, costs: costs)
        let charts = EvalOutput.charts(summaries, records: records, title: "Test & <check>")
        #expect(charts.map(\.0) == ["pareto.svg", "cost.svg", "tbt.svg"])
        for (name, svg) in charts {
            let parser = XMLParser(data: Data(svg.utf8))
            #expect(parser.parse(), "\(name) is not well-formed XML: \(String(describing: parser.parserError))")
            #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            #expect(!svg.contains("nan") && !svg.contains("inf"), "\(name)")
        }
        #expect(charts[0].1.components(separatedBy: "<title>").count - 1 == 3)
        #expect(charts[1].1.components(separatedBy: "<title>").count - 1 == 2)   // device has no cloud cost
        #expect(charts[0].1.contains("Pareto front"))
        #expect(charts[2].1.components(separatedBy: "<polyline").count - 1 == 3)
    }

    @Test func outputAppendsReadsBackAndIgnoresACutLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("eval-out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let output = try EvalOutput(directory: dir)
        let r = record("a", .device, passed: true)
        try output.append(r)
        try output.append(record("b", .device, passed: false))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output.resultsPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"task_id\": \"c\", \"mo".utf8))
        try handle.close()
        #expect(try output.records().map(\.key) == [r.key, record("b", .device, passed: false).key])
        let line = try String(contentsOfFile: output.resultsPath, encoding: .utf8).split(separator: "\n")[0]
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        for key in ["task_id", "mode", "sweep", "passed", "tokens", "stats"] { #expect(object[key] != nil, "\(key)") }
        #expect((object["stats"] as! [String: Any])["offload_ratio"] != nil)
        try output.writeSummary(title: "t")
        for file in ["summary.json", "summary.md", "pareto.svg", "cost.svg", "tbt.svg"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + file), "\(file)")
        }
    }
}
