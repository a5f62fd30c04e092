import Foundation

/// Log-softmax and top-k over a row of logits.
enum LogitMath {
    /// log Σ exp(xᵢ), stable (max subtracted, sum in Double).
    static func logSumExp(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var maximum = -Float.infinity
        for i in 0..<count where x[i] > maximum { maximum = x[i] }
        var sum: Double = 0
        for i in 0..<count { sum += Double(expf(x[i] - maximum)) }
        return maximum + Float(log(sum))
    }

    /// The `k` largest entries, largest first; equal values in ascending id order.
    static func top(_ x: UnsafePointer<Float>, count: Int, k: Int) -> [(index: Int, value: Float)] {
        guard k > 0 else { return [] }
        var best: [(index: Int, value: Float)] = []
        best.reserveCapacity(k + 1)
        for i in 0..<count {
            let v = x[i]
            if best.count == k, !(v > best[k - 1].value) { continue }
            var position = best.count
            while position > 0 && v > best[position - 1].value { position -= 1 }
            best.insert((i, v), at: position)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}
