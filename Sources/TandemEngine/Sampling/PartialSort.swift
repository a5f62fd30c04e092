/// Selection and sorting of token ids into a caller's buffer, without allocating.
///
/// The sampler keeps candidate ids in an `Int32` buffer it reuses across calls. "More likely"
/// means a larger logit, and the lower id on an exact tie: a strict total order, so results
/// never depend on scan order or sort stability.
enum PartialSort {
    /// Writes the ids of the `count` most likely tokens to `ids[0 ..< selected]`, most likely
    /// first, and returns `selected`: `count`, or fewer when fewer logits are above −∞
    /// (−∞ and NaN are never selected).
    ///
    /// One pass over the logits with a bounded heap of the best so far, whose root is the worst
    /// of them; a logit only needs one comparison with the root to be rejected, so the pass
    /// costs O(V) plus O(log count) per replacement, then O(count log count) to sort.
    ///
    /// - Precondition: `0 <= count <= ids.count`.
    static func selectMostLikely(_ count: Int, logits: UnsafeBufferPointer<Float>,
                                 into ids: UnsafeMutableBufferPointer<Int32>) -> Int {
        precondition(count >= 0 && count <= ids.count, "selection size \(count) outside 0...\(ids.count)")
        guard count > 0 else { return 0 }
        func isMoreLikely(_ a: Int32, _ b: Int32) -> Bool {
            let logitA = logits[Int(a)], logitB = logits[Int(b)]
            return logitA > logitB || (logitA == logitB && a < b)
        }
        // Fill the heap with the first `count` selectable ids.
        var size = 0
        var index = 0
        while size < count, index < logits.count {
            if logits[index] > -.infinity {
                ids[size] = Int32(truncatingIfNeeded: index)
                size &+= 1
            }
            index &+= 1
        }
        var node = size / 2
        while node > 0 {
            node &-= 1
            siftDown(ids, from: node, size: size, by: isMoreLikely)
        }
        // Every later id is larger than all ids in the heap, so it is more likely than the
        // root only with a strictly larger logit (NaN and −∞ never are).
        if size == count {
            var rootLogit = logits[Int(ids[0])]
            while index < logits.count {
                if logits[index] > rootLogit {
                    ids[0] = Int32(truncatingIfNeeded: index)
                    siftDown(ids, from: 0, size: size, by: isMoreLikely)
                    rootLogit = logits[Int(ids[0])]
                }
                index &+= 1
            }
        }
        // Pop the worst to the back, repeatedly: most likely first.
        var end = size
        while end > 1 {
            end &-= 1
            ids.swapAt(0, end)
            siftDown(ids, from: 0, size: end, by: isMoreLikely)
        }
        return size
    }

    /// Sorts `ids` most likely first (a heapsort; no allocation).
    static func sortMostLikelyFirst(_ ids: UnsafeMutableBufferPointer<Int32>, logits: UnsafeBufferPointer<Float>) {
        func isMoreLikely(_ a: Int32, _ b: Int32) -> Bool {
            let logitA = logits[Int(a)], logitB = logits[Int(b)]
            return logitA > logitB || (logitA == logitB && a < b)
        }
        heapSort(ids, by: isMoreLikely)
    }

    /// Sorts `ids` in increasing order (a heapsort; no allocation).
    static func sortAscending(_ ids: UnsafeMutableBufferPointer<Int32>) {
        heapSort(ids, by: <)
    }

    /// Sorts `ids` best first by `isBetter`.
    private static func heapSort(_ ids: UnsafeMutableBufferPointer<Int32>, by isBetter: (Int32, Int32) -> Bool) {
        var node = ids.count / 2
        while node > 0 {
            node &-= 1
            siftDown(ids, from: node, size: ids.count, by: isBetter)
        }
        var end = ids.count
        while end > 1 {
            end &-= 1
            ids.swapAt(0, end)
            siftDown(ids, from: 0, size: end, by: isBetter)
        }
    }

    /// Restores the heap property below `start` in `heap[0 ..< size]`, where every parent is
    /// worse (by `isBetter`) than or equal to its children, so the root is the worst.
    private static func siftDown(_ heap: UnsafeMutableBufferPointer<Int32>, from start: Int, size: Int,
                                 by isBetter: (Int32, Int32) -> Bool) {
        var parent = start
        while true {
            let left = 2 &* parent &+ 1
            guard left < size else { return }
            var worseChild = left
            let right = left &+ 1
            if right < size, isBetter(heap[left], heap[right]) { worseChild = right }
            guard isBetter(heap[parent], heap[worseChild]) else { return }
            heap.swapAt(parent, worseChild)
            parent = worseChild
        }
    }
}
