import Foundation
import TandemEngine

/// How `TokenRouter.train` fits the router.
public struct RouterTrainingOptions: Sendable {
    public var hiddenSize: Int
    public var epochs: Int
    public var learningRate: Float
    public var batchSize: Int
    public var weightDecay: Float
    /// Share of prompts held out to measure the router (never trained on).
    public var validationShare: Double
    public var seed: UInt64
    /// Routed shares to find thresholds for.
    public var shares: [Double]

    public init(hiddenSize: Int = 64, epochs: Int = 20, learningRate: Float = 1e-3, batchSize: Int = 64, weightDecay: Float = 1e-4,
                validationShare: Double = 0.15, seed: UInt64 = 0, shares: [Double] = [0.05, 0.1, 0.15, 0.25, 0.4]) {
        self.hiddenSize = hiddenSize
        self.epochs = epochs
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.weightDecay = weightDecay
        self.validationShare = validationShare
        self.seed = seed
        self.shares = shares
    }
}

extension TokenRouter {
    /// Trains the router on a profile with hidden states: label 1 where the cloud's greedy
    /// token differs from the device's, weighted binary cross-entropy (the classes weigh
    /// the same in total), Adam, mini-batches, a fixed seed. Prompts, not tokens, are held
    /// out, so the validation AUC measures unseen answers.
    public static func train(_ profile: PairProfile, device: String, cloud: String, options: RouterTrainingOptions = RouterTrainingOptions(),
                             progress: (_ epoch: Int, _ loss: Double) -> Void = { _, _ in }) throws -> TokenRouter {
        let d = profile.hiddenSize, h = options.hiddenSize
        guard d > 0 else { throw CalibrationError("the profile has no hidden states: collect it with hidden states (tandem profile --features)") }
        guard h > 0, options.epochs > 0, options.batchSize > 0 else { throw CalibrationError("hidden size, epochs and batch size must be positive") }
        var generator = SplitMix64(state: options.seed)
        var order = Array(profile.sequences.indices)
        shuffle(&order, &generator)
        let held = profile.sequences.count >= 2 ? max(1, Int((Double(order.count) * options.validationShare).rounded())) : 0
        let validation = order.prefix(held).flatMap { profile.sequences[$0] }
        let training = order.dropFirst(held).flatMap { profile.sequences[$0] }
        let positives = training.filter { !$0.agrees }.count
        guard positives > 0, positives < training.count else {
            throw CalibrationError("the training tokens hold only one class (\(positives) disagreements of \(training.count)): profile more prompts")
        }
        // Standardise inputs.
        let n = training.count
        let (mean, scale) = VectorMath.standardisation(training.map(\.hidden))
        var x = [Float](repeating: 0, count: n * d)
        var y = [Float](repeating: 0, count: n)
        for (i, t) in training.enumerated() {
            for j in 0..<d { x[i * d + j] = (t.hidden[j] - mean[j]) * scale[j] }
            y[i] = t.agrees ? 0 : 1
        }
        let positiveWeight = Float(n - positives) / Float(positives)

        // Parameters and Adam state, one flat vector: w1, b1, w2, b2.
        let count = h * d + h + h + 1
        var theta = [Float](repeating: 0, count: count)
        let w1Scale = sqrt(2 / Float(d)), w2Scale = sqrt(1 / Float(h))
        for i in 0..<(h * d) { theta[i] = gaussian(&generator) * w1Scale }
        for i in 0..<h { theta[h * d + h + i] = gaussian(&generator) * w2Scale }
        var adam = Adam(count: count)
        var grad = [Float](repeating: 0, count: count)
        var hiddenPre = [Float](repeating: 0, count: h)
        var lastLoss = 0.0
        var samples = Array(0..<n)
        for epoch in 1...options.epochs {
            shuffle(&samples, &generator)
            var epochLoss = 0.0
            var start = 0
            while start < n {
                let batch = samples[start..<min(n, start + options.batchSize)]
                start += batch.count
                for i in 0..<count { grad[i] = 0 }
                theta.withUnsafeMutableBufferPointer { p in
                    grad.withUnsafeMutableBufferPointer { g in
                        x.withUnsafeBufferPointer { xs in
                            let w1 = p.baseAddress!, b1 = w1 + h * d, w2 = b1 + h, b2 = w2 + h
                            let gw1 = g.baseAddress!, gb1 = gw1 + h * d, gw2 = gb1 + h, gb2 = gw2 + h
                            for i in batch {
                                let input = xs.baseAddress! + i * d
                                var z = b2[0]
                                for j in 0..<h {
                                    hiddenPre[j] = b1[j] + VectorMath.dot(w1 + j * d, input, d)
                                    if hiddenPre[j] > 0 { z += w2[j] * hiddenPre[j] }
                                }
                                let p = VectorMath.sigmoid(z)
                                let weight = y[i] > 0 ? positiveWeight : 1
                                epochLoss += Double(-weight * (y[i] > 0 ? log(max(p, 1e-7)) : log(max(1 - p, 1e-7))))
                                let dz = weight * (p - y[i]) / Float(batch.count)
                                gb2[0] += dz
                                for j in 0..<h where hiddenPre[j] > 0 {
                                    gw2[j] += dz * hiddenPre[j]
                                    let da = dz * w2[j]
                                    gb1[j] += da
                                    VectorMath.axpy(da, input, gw1 + j * d, d)
                                }
                            }
                        }
                    }
                }
                // Adam with decoupled weight decay on the weights.
                let delta = adam.step(grad, rate: options.learningRate)
                for i in 0..<count {
                    theta[i] -= delta[i]
                    if i < h * d || (i >= h * d + h && i < h * d + 2 * h) { theta[i] -= options.learningRate * options.weightDecay * theta[i] }
                }
            }
            lastLoss = epochLoss / Double(n)
            progress(epoch, lastLoss)
        }
        var router = TokenRouter(device: device, cloud: cloud, inputSize: d, hiddenSize: h, mean: mean, scale: scale,
                                 w1: Array(theta[0..<(h * d)]), b1: Array(theta[(h * d)..<(h * d + h)]),
                                 w2: Array(theta[(h * d + h)..<(h * d + 2 * h)]), b2: theta[h * d + 2 * h], points: [],
                                 report: Report(trainTokens: n, validationTokens: validation.count, positiveShare: Double(positives) / Double(n),
                                                epochs: options.epochs, trainLoss: lastLoss, validationAUC: 0, confidenceAUC: 0))
        router.report.validationAUC = auc(validation.map { router.score($0.hidden) }, validation.map { !$0.agrees })
        router.report.confidenceAUC = auc(validation.map { 1 - $0.confidence }, validation.map { !$0.agrees })
        // Thresholds per routed share, from the scores of every profiled token.
        let all = training + validation
        let scored = all.map { (score: router.score($0.hidden), disagrees: !$0.agrees) }.sorted { $0.score > $1.score }
        let disagreements = max(1, scored.filter(\.disagrees).count)
        router.points = options.shares.sorted().map { share in
            let routed = min(scored.count, Int((share * Double(scored.count)).rounded(.down)))
            guard routed > 0 else { return Point(share: share, threshold: 2, disagreementsCaught: 0) }
            let threshold = scored[routed - 1].score
            let taken = scored.prefix { $0.score >= threshold }
            return Point(share: share, threshold: threshold,
                         disagreementsCaught: Double(taken.filter(\.disagrees).count) / Double(disagreements))
        }
        return router
    }

    /// Area under the ROC curve: the chance a random positive scores above a random negative
    /// (ties count half); 0.5 when either class is empty.
    public static func auc(_ scores: [Float], _ positive: [Bool]) -> Double {
        let pairs = zip(scores, positive).sorted { $0.0 < $1.0 }
        let p = positive.filter { $0 }.count, q = positive.count - p
        guard p > 0, q > 0 else { return 0.5 }
        var rankSum = 0.0
        var i = 0
        while i < pairs.count {
            var j = i
            while j < pairs.count && pairs[j].0 == pairs[i].0 { j += 1 }
            let averageRank = Double(i + j + 1) / 2  // ranks i+1 ... j
            rankSum += averageRank * Double(pairs[i..<j].filter(\.1).count)
            i = j
        }
        return (rankSum - Double(p * (p + 1)) / 2) / Double(p * q)
    }

    static func shuffle<T>(_ array: inout [T], _ generator: inout SplitMix64) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = Int(generator.next() % UInt64(i + 1))
            array.swapAt(i, j)
        }
    }

    static func gaussian(_ generator: inout SplitMix64) -> Float {
        let u1 = max(Double(generator.next() >> 11) / Double(1 << 53), 1e-12)
        let u2 = Double(generator.next() >> 11) / Double(1 << 53)
        return Float(sqrt(-2 * log(u1)) * cos(2 * .pi * u2))
    }
}
