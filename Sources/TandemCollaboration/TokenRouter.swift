import Foundation

/// Seed 3's token router: a small MLP on the device model's final hidden state that scores
/// how likely the cloud's greedy token differs from the device's at this position. In
/// `token-routing` mode a token whose score reaches the threshold is routed: the cloud
/// decides it. Trained by `tandem train-router` (`TokenRouter.train`); the threshold for a
/// routed share comes from the scores on the training data.
public struct TokenRouter: Sendable, Codable, Equatable {
    /// Threshold that routed `share` of the training tokens.
    public struct Point: Sendable, Codable, Equatable {
        public var share: Double
        public var threshold: Float
        /// Share of the device's disagreements with the cloud among the routed tokens.
        public var disagreementsCaught: Double

        enum CodingKeys: String, CodingKey {
            case share, threshold
            case disagreementsCaught = "disagreements_caught"
        }
    }

    /// How the router was trained and how well it separates held-out tokens.
    public struct Report: Sendable, Codable, Equatable {
        public var trainTokens: Int
        public var validationTokens: Int
        /// Share of training tokens where the cloud disagrees (the positive class).
        public var positiveShare: Double
        public var epochs: Int
        public var trainLoss: Double
        /// Area under the ROC curve on the held-out prompts: the router's score, and the
        /// device's own risk (1 − confidence) for comparison.
        public var validationAUC: Double
        public var confidenceAUC: Double

        public init(trainTokens: Int, validationTokens: Int, positiveShare: Double, epochs: Int, trainLoss: Double,
                    validationAUC: Double, confidenceAUC: Double) {
            self.trainTokens = trainTokens
            self.validationTokens = validationTokens
            self.positiveShare = positiveShare
            self.epochs = epochs
            self.trainLoss = trainLoss
            self.validationAUC = validationAUC
            self.confidenceAUC = confidenceAUC
        }

        enum CodingKeys: String, CodingKey {
            case epochs
            case trainTokens = "train_tokens"
            case validationTokens = "validation_tokens"
            case positiveShare = "positive_share"
            case trainLoss = "train_loss"
            case validationAUC = "validation_auc"
            case confidenceAUC = "confidence_auc"
        }
    }

    public var device: String
    public var cloud: String
    public var inputSize: Int
    public var hiddenSize: Int
    /// Input standardisation: x' = (x − mean) × scale.
    public var mean: [Float]
    public var scale: [Float]
    /// First layer, hiddenSize × inputSize, row-major; ReLU.
    public var w1: [Float]
    public var b1: [Float]
    /// Output layer; sigmoid.
    public var w2: [Float]
    public var b2: Float
    public var points: [Point]
    public var report: Report

    enum CodingKeys: String, CodingKey {
        case device, cloud, mean, scale, w1, b1, w2, b2, points, report
        case inputSize = "input_size"
        case hiddenSize = "hidden_size"
    }

    public init(device: String, cloud: String, inputSize: Int, hiddenSize: Int, mean: [Float], scale: [Float], w1: [Float], b1: [Float],
                w2: [Float], b2: Float, points: [Point], report: Report) {
        self.device = device
        self.cloud = cloud
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.mean = mean
        self.scale = scale
        self.w1 = w1
        self.b1 = b1
        self.w2 = w2
        self.b2 = b2
        self.points = points
        self.report = report
    }

    /// The routing score in 0...1 of one hidden state.
    public func score(_ hidden: [Float]) -> Float {
        precondition(hidden.count == inputSize, "hidden state of \(hidden.count), router expects \(inputSize)")
        var x = [Float](repeating: 0, count: inputSize)
        for i in 0..<inputSize { x[i] = (hidden[i] - mean[i]) * scale[i] }
        var z = b2
        w1.withUnsafeBufferPointer { w in
            x.withUnsafeBufferPointer { xs in
                for j in 0..<hiddenSize {
                    let a = b1[j] + VectorMath.dot(w.baseAddress! + j * inputSize, xs.baseAddress!, inputSize)
                    if a > 0 { z += w2[j] * a }
                }
            }
        }
        return VectorMath.sigmoid(z)
    }

    /// The threshold of the calibrated point with the largest share not above `share` (the
    /// strictest point when `share` is below all of them).
    public func threshold(share: Double) -> Float {
        let sorted = points.sorted { $0.share < $1.share }
        return (sorted.last { $0.share <= share + 1e-9 } ?? sorted.first)?.threshold ?? 2
    }

    public static func load(from path: String) throws -> TokenRouter {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CalibrationError("cannot read router \(path): \(error.localizedDescription)")
        }
        let router: TokenRouter
        do { router = try JSONDecoder().decode(TokenRouter.self, from: data) } catch {
            throw CalibrationError("\(path) is not a Tandem token router: \(error)")
        }
        let n = router.inputSize, h = router.hiddenSize
        guard n > 0, h > 0, router.mean.count == n, router.scale.count == n, router.w1.count == n * h,
              router.b1.count == h, router.w2.count == h else {
            throw CalibrationError("\(path): the router's weights do not match its sizes (\(n) inputs, \(h) hidden)")
        }
        return router
    }

    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }
}

/// Small vector helpers for the router (SIMD, no allocation).
enum VectorMath {
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self) * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
            i += 16
        }
        var sum = acc.sum()
        while i < n { sum += a[i] * b[i]; i += 1 }
        return sum
    }

    /// y += alpha × x
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        let a = SIMD16<Float>(repeating: alpha)
        while i + 16 <= n {
            let v = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self) + a * UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] += alpha * x[i]; i += 1 }
    }

    static func sigmoid(_ z: Float) -> Float { 1 / (1 + exp(-z)) }

    /// Per-dimension mean and 1/standard deviation (floored) of `vectors`.
    static func standardisation(_ vectors: [[Float]]) -> (mean: [Float], scale: [Float]) {
        let d = vectors.first?.count ?? 0, n = Float(max(1, vectors.count))
        var mean = [Float](repeating: 0, count: d), variance = [Float](repeating: 0, count: d)
        for v in vectors { for j in 0..<d { mean[j] += v[j] } }
        for j in 0..<d { mean[j] /= n }
        for v in vectors { for j in 0..<d { variance[j] += (v[j] - mean[j]) * (v[j] - mean[j]) } }
        return (mean, variance.map { 1 / max(sqrt($0 / n), 1e-6) })
    }
}

/// Adam's moments and step count; `step` turns a gradient into the update to subtract
/// (descent) or add (ascent).
struct Adam: Sendable, Codable {
    var m: [Float]
    var v: [Float]
    var t = 0

    init(count: Int) {
        m = [Float](repeating: 0, count: count)
        v = m
    }

    /// A step without a gradient: only the count (and so the bias correction) moves.
    mutating func skip() { t += 1 }

    mutating func step(_ gradient: [Float], rate: Float) -> [Float] {
        t += 1
        let beta1: Float = 0.9, beta2: Float = 0.999
        let c1 = 1 - pow(beta1, Float(t)), c2 = 1 - pow(beta2, Float(t))
        return gradient.indices.map { i in
            m[i] = beta1 * m[i] + (1 - beta1) * gradient[i]
            v[i] = beta2 * v[i] + (1 - beta2) * gradient[i] * gradient[i]
            return rate * (m[i] / c1) / (sqrt(v[i] / c2) + 1e-8)
        }
    }
}
