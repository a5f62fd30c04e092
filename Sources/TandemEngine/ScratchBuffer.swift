/// A growable Float buffer reused across forward calls, so steady-state decoding
/// allocates nothing. Contents are undefined after `ensure` grows it.
final class ScratchBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init(_ capacity: Int = 1) {
        self.capacity = max(1, capacity)
        pointer = .allocate(capacity: self.capacity)
    }

    deinit { pointer.deallocate() }

    /// Room for at least `count` floats; returns the (possibly new) storage.
    @discardableResult
    func ensure(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            capacity = count
            pointer = .allocate(capacity: count)
        }
        return pointer
    }
}

/// The engine's working memory for one forward call of `tokens` rows.
final class ForwardScratch {
    let residual = ScratchBuffer()      // tokens × d
    let normed = ScratchBuffer()        // tokens × d
    let query = ScratchBuffer()         // tokens × queryDim
    let key = ScratchBuffer()           // tokens × kvDim
    let value = ScratchBuffer()         // tokens × kvDim
    let attention = ScratchBuffer()     // tokens × queryDim
    let projection = ScratchBuffer()    // tokens × d
    let gate = ScratchBuffer()          // tokens × ffn
    let up = ScratchBuffer()            // tokens × ffn
    let logits = ScratchBuffer()        // logitChunk × vocab
    let scores = ScratchBuffer()        // participants × maxContext

    func prepare(tokens: Int, configuration c: ModelConfiguration) {
        residual.ensure(tokens * c.embeddingLength)
        normed.ensure(tokens * c.embeddingLength)
        query.ensure(tokens * c.queryDim)
        key.ensure(tokens * c.kvDim)
        value.ensure(tokens * c.kvDim)
        attention.ensure(tokens * c.queryDim)
        projection.ensure(tokens * c.embeddingLength)
        gate.ensure(tokens * c.feedForwardLength)
        up.ensure(tokens * c.feedForwardLength)
    }
}
