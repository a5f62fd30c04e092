/// Byte-level BPE: the merge table and the merge loop that turns one pre-tokenized word into ids.
///
/// Symbols are token ids throughout: a word starts as one symbol per byte (the token of that
/// byte's GPT-2 character) and a merge replaces two adjacent symbols by the token of their
/// concatenation. Loading checks that every merge's two symbols and its result are in the
/// vocabulary, so every symbol is always a token and no byte fallback is needed.
///
/// Immutable after construction; `Sendable`.
struct BPEModel: Sendable {
    /// The token of each byte's GPT-2 character, indexed by byte; -1 when the vocabulary lacks it.
    let byteTokens: [TokenID]
    /// Merges keyed by `left << 32 | right` (token ids), valued `rank << 32 | merged token`.
    /// Rank is the merge's index in `tokenizer.ggml.merges`: lower merges first.
    let merges: [UInt64: UInt64]

    init(byteTokens: [TokenID], merges: [UInt64: UInt64]) {
        precondition(byteTokens.count == 256)
        self.byteTokens = byteTokens
        self.merges = merges
    }

    @inline(__always)
    static func mergeKey(_ left: TokenID, _ right: TokenID) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Working storage for `encode`, reused across words of one encode call.
    struct Scratch {
        /// Current token of each symbol slot; -1 once merged into its left neighbour.
        var tokens: [TokenID] = []
        var previous: [Int32] = []
        var next: [Int32] = []
        var queue = CandidateQueue()
    }

    /// Appends the ids of one word (its UTF-8 bytes) to `output`.
    ///
    /// The merge loop is llama.cpp's `llm_tokenizer_bpe_session::tokenize`: a priority queue
    /// holds every adjacent pair that has a merge, ordered by **lowest rank first, then
    /// leftmost** (smallest left symbol position); popping a pair whose symbols changed since
    /// it was queued skips it; applying a merge queues the new pairs with the left and right
    /// neighbours. That is the classic GPT-2 `bpe()` loop (repeatedly merge the lowest-ranked
    /// adjacent pair, leftmost first on ties) in O(n log n).
    ///
    /// Invariants: live slots form a doubly linked list in text order; each live slot's token is
    /// the vocabulary entry for exactly its bytes; a queued candidate is current iff both slots
    /// still hold the tokens it was queued with and are still adjacent.
    ///
    /// - Returns: nil on success, else the index in `word` of a byte that has no token.
    func encode(_ word: UnsafeBufferPointer<UInt8>, into output: inout [TokenID], scratch: inout Scratch) -> Int? {
        let count = word.count
        if count == 1 {
            let token = byteTokens[Int(word[0])]
            guard token >= 0 else { return 0 }
            output.append(token)
            return nil
        }
        scratch.tokens.removeAll(keepingCapacity: true)
        scratch.previous.removeAll(keepingCapacity: true)
        scratch.next.removeAll(keepingCapacity: true)
        scratch.queue.removeAll()
        for (index, byte) in word.enumerated() {
            let token = byteTokens[Int(byte)]
            guard token >= 0 else { return index }
            scratch.tokens.append(token)
            scratch.previous.append(Int32(index - 1))
            scratch.next.append(index + 1 < count ? Int32(index + 1) : -1)
        }
        for left in 0..<(count - 1) { queuePair(left: Int32(left), right: Int32(left + 1), scratch: &scratch) }

        while let candidate = scratch.queue.popMin() {
            let left = Int(candidate.left), right = Int(candidate.right)
            guard scratch.tokens[left] == candidate.leftToken, scratch.tokens[right] == candidate.rightToken,
                  scratch.next[left] == candidate.right else { continue }   // stale
            scratch.tokens[left] = candidate.merged
            scratch.tokens[right] = -1
            let after = scratch.next[right]
            scratch.next[left] = after
            if after >= 0 { scratch.previous[Int(after)] = candidate.left }
            let before = scratch.previous[left]
            if before >= 0 { queuePair(left: before, right: candidate.left, scratch: &scratch) }
            if after >= 0 { queuePair(left: candidate.left, right: after, scratch: &scratch) }
        }

        var slot: Int32 = 0
        while slot >= 0 {
            output.append(scratch.tokens[Int(slot)])
            slot = scratch.next[Int(slot)]
        }
        return nil
    }

    @inline(__always)
    private func queuePair(left: Int32, right: Int32, scratch: inout Scratch) {
        let leftToken = scratch.tokens[Int(left)], rightToken = scratch.tokens[Int(right)]
        guard let entry = merges[Self.mergeKey(leftToken, rightToken)] else { return }
        scratch.queue.insert(MergeCandidate(
            order: entry & 0xFFFF_FFFF_0000_0000 | UInt64(UInt32(left)),
            right: right, leftToken: leftToken, rightToken: rightToken,
            merged: TokenID(truncatingIfNeeded: entry & 0xFFFF_FFFF)))
    }
}

/// An adjacent pair that has a merge, as queued by `BPEModel.encode`.
struct MergeCandidate {
    /// `rank << 32 | left slot`: comparing orders by rank, then leftmost.
    var order: UInt64
    var right: Int32
    var leftToken: TokenID
    var rightToken: TokenID
    var merged: TokenID

    var left: Int32 { Int32(truncatingIfNeeded: order & 0xFFFF_FFFF) }
}

/// A binary min-heap of merge candidates by `order`.
struct CandidateQueue {
    private var heap: [MergeCandidate] = []

    mutating func removeAll() { heap.removeAll(keepingCapacity: true) }

    mutating func insert(_ candidate: MergeCandidate) {
        heap.append(candidate)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].order < heap[parent].order else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() -> MergeCandidate? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let minimum = heap[0]
        heap[0] = last
        var parent = 0
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            let smaller = right < count && heap[right].order < heap[left].order ? right : left
            guard heap[smaller].order < heap[parent].order else { break }
            heap.swapAt(smaller, parent)
            parent = smaller
        }
        return minimum
    }
}
