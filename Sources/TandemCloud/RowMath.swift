import Foundation
import TandemEngine
import TandemProtocol

/// Reading one output row of log-probabilities (the engine's `.fullLogProbs`).
enum RowMath {
    /// The `k` most likely tokens, best first; ties in ascending id order.
    static func top(_ row: [Float], k: Int) -> [TokenLogprob] {
        guard k > 0 else { return [] }
        var best: [TokenLogprob] = []
        best.reserveCapacity(k + 1)
        for (index, value) in row.enumerated() {
            if best.count == k, !(value > best[k - 1].logprob) { continue }
            var position = best.count
            while position > 0 && value > best[position - 1].logprob { position -= 1 }
            best.insert(TokenLogprob(id: Int32(index), logprob: value), at: position)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    /// The most likely token, the lowest id among ties.
    static func argmax(_ row: [Float]) -> TokenID {
        row.withUnsafeBufferPointer { Sampler.argmax(logits: $0) }
    }

    /// 1-based rank of `token` in the row (1 = most likely; ties share the better rank).
    static func rank(of token: TokenID, in row: [Float]) -> Int {
        let value = row[Int(token)]
        return 1 + row.reduce(0) { $0 + ($1 > value ? 1 : 0) }
    }
}
