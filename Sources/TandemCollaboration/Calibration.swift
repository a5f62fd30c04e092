import Foundation

/// What a profiling run (`tandem profile`) learned about a device/cloud pair: how often the
/// cloud agrees with the device's token by device confidence, and which risk threshold
/// gives which offload share (with the chunking the decoder uses).
public struct Calibration: Sendable, Codable, Equatable {
    public struct Bucket: Sendable, Codable, Equatable {
        /// Confidence range [lower, upper).
        public var lower: Float
        public var upper: Float
        public var tokens: Int
        /// Share of these tokens where the cloud's greedy token equals the device's.
        public var acceptance: Double
    }

    public struct Point: Sendable, Codable, Equatable {
        public var budget: Double
        public var riskThreshold: Float
        /// Offload share this threshold gave on the profiling data.
        public var offloadShare: Double
        /// Share of the device's disagreements with the cloud that fall inside offloaded chunks.
        public var disagreementsCaught: Double

        enum CodingKeys: String, CodingKey {
            case budget
            case riskThreshold = "risk_threshold"
            case offloadShare = "offload_share"
            case disagreementsCaught = "disagreements_caught"
        }
    }

    public var device: String
    public var cloud: String
    public var tokens: Int
    /// Share of all profiled tokens where the cloud agrees with the device.
    public var agreement: Double
    public var chunkSize: Int
    /// The budget bucket's credit the points were fitted with (`OffloadPolicy.burst`); nil in
    /// files from before the fit simulated the cap.
    public var burst: Int?
    public var buckets: [Bucket]
    public var points: [Point]

    enum CodingKeys: String, CodingKey {
        case device, cloud, tokens, agreement, buckets, points, burst
        case chunkSize = "chunk_size"
    }

    public static func load(from path: String) throws -> Calibration {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CalibrationError("cannot read calibration \(path): \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(Calibration.self, from: data) } catch {
            throw CalibrationError("\(path) is not a Tandem calibration: \(error)")
        }
    }

    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }

    /// The policy for `budget`: the threshold of the calibrated point with the largest
    /// budget not above it (the strictest point when the budget is below all of them).
    public func policy(budget: Double) -> OffloadPolicy {
        let sorted = points.sorted { $0.budget < $1.budget }
        let point = sorted.last(where: { $0.budget <= budget + 1e-9 }) ?? sorted.first
        return OffloadPolicy(riskThreshold: point?.riskThreshold ?? 2, budget: budget, burst: burst ?? OffloadPolicy.defaultBurst)
    }

    /// Calibrates from profiled sequences: per generated token, the device's confidence
    /// and whether the cloud's greedy token agreed. For each budget, the threshold is the one
    /// whose simulated offloading catches the most disagreements within the budget. The
    /// simulation is the decoder's: a risky token opens a chunk with the risky tokens after
    /// it (`OffloadPolicy.chunkRun`) if the budget's bucket (`burst` tokens of credit) allows
    /// it, so the points report what the decoder will catch, not what an uncapped one would.
    public static func fit(device: String, cloud: String, sequences: [[(confidence: Float, agrees: Bool)]],
                           chunkSize: Int, budgets: [Double], burst: Int = OffloadPolicy.defaultBurst) -> Calibration {
        let all = sequences.flatMap { $0 }
        var buckets: [Bucket] = []
        let edges: [Float] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001]
        for (lower, upper) in zip(edges, edges.dropFirst()) {
            let inside = all.filter { $0.confidence >= lower && $0.confidence < upper }
            buckets.append(Bucket(lower: lower, upper: min(upper, 1), tokens: inside.count,
                                  acceptance: inside.isEmpty ? 0 : Double(inside.filter(\.agrees).count) / Double(inside.count)))
        }
        func simulate(_ threshold: Float, budget: Double) -> (share: Double, caught: Double) {
            let policy = OffloadPolicy(riskThreshold: threshold, budget: budget, burst: burst)
            var offloaded = 0, disagreements = 0, caught = 0
            for sequence in sequences {
                var i = 0, answerOffloaded = 0
                while i < sequence.count {
                    if policy.isRisky(risk: 1 - sequence[i].confidence)
                        && policy.allows(chunk: chunkSize, offloaded: answerOffloaded, generated: i) {
                        let run = policy.chunkRun(maxLength: chunkSize, known: sequence.count - i) { 1 - sequence[i + $0].confidence }
                        var end = i + run.length
                        offloaded += run.length
                        answerOffloaded += run.length
                        var missed = sequence[i..<end].filter { !$0.agrees }.count
                        // A chunk accepted whole also settles the token after it: the verdict
                        // carries the cloud's next token.
                        if missed == 0 && end < sequence.count {
                            if !sequence[end].agrees { missed += 1 }
                            end += 1
                        }
                        caught += missed
                        disagreements += missed
                        i = end
                    } else {
                        if !sequence[i].agrees { disagreements += 1 }
                        i += 1
                    }
                }
            }
            return (all.isEmpty ? 0 : Double(offloaded) / Double(all.count),
                    disagreements == 0 ? 1 : Double(caught) / Double(disagreements))
        }
        // Candidate thresholds: observed risks. The lowest one within the budget (shares fall
        // as thresholds rise) is found exactly; a grid of higher ones covers the case where the
        // cap, not the threshold, would do the limiting and a stricter threshold catches more.
        let risks = Set(all.map { 1 - $0.confidence }).sorted()
        let grid = Swift.stride(from: 0, to: risks.count, by: max(1, risks.count / 256)).map { risks[$0] }
        var points: [Point] = []
        for budget in budgets {
            var low = 0, high = risks.count
            while low < high {
                let mid = (low + high) / 2
                if simulate(risks[mid], budget: budget).share <= budget { high = mid } else { low = mid + 1 }
            }
            var best: (threshold: Float, share: Double, caught: Double)?
            if low < risks.count {
                for threshold in [risks[low]] + grid where threshold >= risks[low] {
                    let (share, caught) = simulate(threshold, budget: budget)
                    if share <= budget, best == nil || caught > best!.caught { best = (threshold, share, caught) }
                }
            }
            points.append(Point(budget: budget, riskThreshold: best?.threshold ?? 2, offloadShare: best?.share ?? 0,
                                disagreementsCaught: best?.caught ?? 0))
        }
        let agreement = all.isEmpty ? 0 : Double(all.filter(\.agrees).count) / Double(all.count)
        return Calibration(device: device, cloud: cloud, tokens: all.count, agreement: agreement, chunkSize: chunkSize,
                           burst: burst, buckets: buckets, points: points)
    }
}

public struct CalibrationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension OffloadPolicy {
    /// The policy for `budget` in `mode`: token-routing takes its threshold from the router's
    /// points, tandem from the calibration (the default threshold without one).
    public static func forBudget(_ budget: Double, mode: CollaborationMode, calibration: Calibration?, router: TokenRouter?) -> OffloadPolicy {
        if mode == .tokenRouting, let router { return OffloadPolicy(riskThreshold: router.threshold(share: budget), budget: budget) }
        var policy = calibration?.policy(budget: budget) ?? OffloadPolicy()
        policy.budget = budget
        return policy
    }
}
