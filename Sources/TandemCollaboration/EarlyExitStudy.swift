import Foundation
import TandemEngine

/// Measures early exit for drafting: at an intermediate block, apply the output norm and
/// head; when that prediction is confident enough, the device would take it and skip the
/// remaining blocks and the final head. On the device's own greedy answers (scored by both
/// models), per exit layer and confidence: how often it exits, how often the exited token is
/// the full model's, how often the cloud accepts it, and the multiply-adds it saves per token.
public struct EarlyExitStudy: Sendable {
    public struct Row: Sendable, Codable {
        public var layer: Int
        public var confidence: Float
        /// Share of tokens whose exit prediction reaches `confidence`.
        public var exitRate: Double
        /// Among exits: the exit token equals the full model's.
        public var agreesWithFullModel: Double
        /// Cloud acceptance of the drafted tokens with early exit (exit token where it exits,
        /// the full model's elsewhere) and without.
        public var acceptanceWithExit: Double
        public var acceptanceWithout: Double
        /// Multiply-adds per drafted token with early exit relative to without (1 = no change;
        /// below 1 saves). An upper bound on the saving: the skipped blocks' KV entries for the
        /// exited token are not computed here, and a real decoder would have to fill them.
        public var relativeCompute: Double

        enum CodingKeys: String, CodingKey {
            case layer, confidence
            case exitRate = "exit_rate"
            case agreesWithFullModel = "agrees_with_full_model"
            case acceptanceWithExit = "acceptance_with_exit"
            case acceptanceWithout = "acceptance_without"
            case relativeCompute = "relative_compute"
        }
    }

    /// Per token: the full model's token, the cloud's top token there, and per exit layer the
    /// exit prediction and its probability.
    struct Observation {
        var token: TokenID
        var cloud: TokenID
        var exits: [(id: TokenID, probability: Float)]
    }

    public var layers: [Int]
    var observations: [Observation] = []
    let blockMACs: Double
    let headMACs: Double
    let layerCount: Int

    public var tokenCount: Int { observations.count }

    /// Multiply-adds of one block and of the head, from the model's shapes.
    public static func multiplyAdds(_ c: ModelConfiguration) -> (block: Double, head: Double) {
        let d = Double(c.embeddingLength)
        let block = d * Double(c.queryDim) * 2 + d * Double(c.kvDim) * 2 + 3 * d * Double(c.feedForwardLength)
        return (block, d * Double(c.vocabularySize))
    }

    /// Runs the device on each prompt (greedy, up to `maxTokens`) and scores the answers.
    public static func collect(device: Engine, cloud: Engine, prompts: [[TokenID]], layers: [Int], maxTokens: Int,
                               progress: (Int) -> Void = { _ in }) async throws -> EarlyExitStudy {
        let macs = multiplyAdds(device.configuration)
        var study = EarlyExitStudy(layers: layers, blockMACs: macs.block, headMACs: macs.head, layerCount: device.configuration.layerCount)
        for (index, prompt) in prompts.enumerated() {
            if let (answer, mine, theirs) = try await PairProfile.scoredAnswer(
                device: device, cloud: cloud, prompt: prompt, maxTokens: maxTokens,
                deviceOutputs: OutputRequest(rows: .all, distribution: .topK(1), layerOutputs: layers)) {
                for k in answer.indices {
                    let row = prompt.count - 1 + k
                    let exits = try mine[row].layerOutputs.map { hidden -> (id: TokenID, probability: Float) in
                        let top = try device.distribution(fromLayerOutput: hidden, topK: 1)[0]
                        return (top.id, Float(exp(Double(top.logProb))))
                    }
                    study.observations.append(Observation(token: answer[k], cloud: theirs[row].top[0].id, exits: exits))
                }
            }
            progress(index + 1)
        }
        return study
    }

    /// One row per exit layer and confidence.
    public func rows(confidences: [Float]) -> [Row] {
        let n = Double(max(1, observations.count))
        let full = Double(layerCount) * blockMACs + headMACs
        let without = Double(observations.filter { $0.token == $0.cloud }.count) / n
        return layers.enumerated().flatMap { slot, layer in
            confidences.map { c -> Row in
                var exits = 0, agree = 0, accepted = 0
                for o in observations {
                    let exit = o.exits[slot]
                    if exit.probability >= c {
                        exits += 1
                        if exit.id == o.token { agree += 1 }
                        if exit.id == o.cloud { accepted += 1 }
                    } else if o.token == o.cloud {
                        accepted += 1
                    }
                }
                let rate = Double(exits) / n
                // Blocks up to the exit and its head always; the rest and the final head when it does not exit.
                let cost = Double(layer + 1) * blockMACs + headMACs + (1 - rate) * (Double(layerCount - layer - 1) * blockMACs + headMACs)
                return Row(layer: layer, confidence: c, exitRate: rate, agreesWithFullModel: exits == 0 ? 1 : Double(agree) / Double(exits),
                           acceptanceWithExit: Double(accepted) / n, acceptanceWithout: without, relativeCompute: cost / full)
            }
        }
    }
}
