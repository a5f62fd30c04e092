/// The keys and values one sequence has computed, per layer, position by position.
///
/// Grows on demand (doubling, from 256 positions) up to `maxLength`; past it a forward
/// call fails with `EngineError.contextFull` before anything changes. `truncate(to:)`
/// rolls back to an earlier length (after a rejected draft); `fork()` copies the cache for a
/// speculative branch. Stored as Float32, `[position][kvHead][headDim]` per layer.
///
/// Not thread-safe: one forward call (or one owner) uses a cache at a time.
public final class KVCache: @unchecked Sendable {
    public let layerCount: Int
    /// Floats per position per layer (kv heads × head size).
    public let kvDim: Int
    /// The most positions this cache may hold.
    public let maxLength: Int
    /// Positions filled.
    public private(set) var length = 0
    private(set) var capacity = 0
    private var keys: [UnsafeMutablePointer<Float>] = []
    private var values: [UnsafeMutablePointer<Float>] = []

    public init(layerCount: Int, kvDim: Int, maxLength: Int) {
        precondition(layerCount > 0 && kvDim > 0 && maxLength > 0)
        self.layerCount = layerCount
        self.kvDim = kvDim
        self.maxLength = maxLength
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
    }

    /// Bytes allocated for keys and values.
    public var memoryBytes: Int { 2 * layerCount * capacity * kvDim * MemoryLayout<Float>.size }

    /// Makes room for `newLength` positions (≤ `maxLength`), keeping the contents.
    func reserve(_ newLength: Int) {
        precondition(newLength <= maxLength)
        guard newLength > capacity else { return }
        var grown = max(256, capacity)
        while grown < newLength { grown *= 2 }
        grown = min(grown, maxLength)
        let count = grown * kvDim
        for l in 0..<layerCount {
            let k = UnsafeMutablePointer<Float>.allocate(capacity: count)
            let v = UnsafeMutablePointer<Float>.allocate(capacity: count)
            if capacity > 0 {
                k.update(from: keys[l], count: length * kvDim)
                v.update(from: values[l], count: length * kvDim)
                keys[l].deallocate()
                values[l].deallocate()
                keys[l] = k
                values[l] = v
            } else {
                keys.append(k)
                values.append(v)
            }
        }
        capacity = grown
    }

    /// Keys of `layer`, `capacity × kvDim` floats.
    func keys(layer: Int) -> UnsafeMutablePointer<Float> { keys[layer] }
    func values(layer: Int) -> UnsafeMutablePointer<Float> { values[layer] }

    /// Marks `count` more positions as filled (after a forward call wrote them).
    func advance(by count: Int) {
        precondition(length + count <= capacity)
        length += count
    }

    /// Forgets every position from `newLength` on. `newLength` must be ≤ `length`.
    public func truncate(to newLength: Int) {
        precondition(newLength >= 0 && newLength <= length, "cannot truncate a cache of \(length) to \(newLength)")
        length = newLength
    }

    /// An independent copy holding the same positions.
    public func fork() -> KVCache {
        let copy = KVCache(layerCount: layerCount, kvDim: kvDim, maxLength: maxLength)
        copy.reserve(max(length, 1))
        for l in 0..<layerCount {
            copy.keys[l].update(from: keys[l], count: length * kvDim)
            copy.values[l].update(from: values[l], count: length * kvDim)
        }
        copy.length = length
        return copy
    }
}
