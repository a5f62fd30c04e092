/// In-place selection and sorting of token ids, without allocating.
///
/// The sampler keeps its candidates as an `Int32` id buffer it reuses across calls; these
/// heap-based routines reorder that buffer. `isBetter` must be a strict total order
/// (the sampler's breaks logit ties by id), so results never depend on input order.
enum PartialSort {
    /// Moves the `count` best elements of `buffer` (by `isBetter`) to `buffer[0 ..< count]`,
    /// sorted best first; the rest of `buffer` is left in some order.
    ///
    /// A bounded heap whose root is the worst element kept: O(n log count) comparisons.
    /// `count == buffer.count` is a full heapsort.
    static func selectBest(_ count: Int, of buffer: UnsafeMutableBufferPointer<Int32>,
                           by isBetter: (Int32, Int32) -> Bool) {
        precondition(count >= 0 && count <= buffer.count, "selection size \(count) outside 0...\(buffer.count)")
        guard count > 0 else { return }
        // Heap invariant over buffer[0 ..< size]: no child is worse than its parent, so the
        // root is the worst element in the heap.
        func siftDown(_ start: Int, size: Int) {
            var parent = start
            while true {
                let left = 2 &* parent &+ 1
                guard left < size else { return }
                var worseChild = left
                let right = left &+ 1
                if right < size, isBetter(buffer[left], buffer[right]) { worseChild = right }
                guard isBetter(buffer[parent], buffer[worseChild]) else { return }
                buffer.swapAt(parent, worseChild)
                parent = worseChild
            }
        }
        var node = count / 2
        while node > 0 {
            node &-= 1
            siftDown(node, size: count)
        }
        // Replace the worst kept element whenever a better one comes along.
        var index = count
        while index < buffer.count {
            if isBetter(buffer[index], buffer[0]) {
                buffer.swapAt(index, 0)
                siftDown(0, size: count)
            }
            index &+= 1
        }
        // Pop the worst to the back, repeatedly: buffer[0 ..< count] ends up best first.
        var end = count
        while end > 1 {
            end &-= 1
            buffer.swapAt(0, end)
            siftDown(0, size: end)
        }
    }

    /// Sorts `buffer` in increasing id order (a heapsort; no allocation).
    static func sortAscending(_ buffer: UnsafeMutableBufferPointer<Int32>) {
        selectBest(buffer.count, of: buffer, by: <)
    }
}
