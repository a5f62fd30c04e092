import CTandemKernels
import TandemGGUF

/// How a matrix product's Float32 input rows are quantised before the integer dot products.
public enum ActivationFormat: Sendable, Equatable, CaseIterable {
    /// Blocks of 32 with a binary16-rounded scale: llama.cpp's Q8_0 (and Q8_1's sum).
    case q8_0
    /// Blocks of 256 with a Float32 scale and sums per 16: llama.cpp's Q8_K.
    case q8_K

    /// Elements sharing one scale.
    public var blockSize: Int {
        switch self {
        case .q8_0: 32
        case .q8_K: 256
        }
    }
}

extension GGMLType {
    /// The activation format this weight type's dot products take, as llama.cpp pairs them
    /// (its `vec_dot_type`); nil for float weights, which use the Float32 input directly.
    public var activationFormat: ActivationFormat? {
        switch self {
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: .q8_0
        case .q4_K, .q5_K, .q6_K: .q8_K
        default: nil
        }
    }
}

/// A view of quantised activation rows (see `tandem_activations` in TandemBlocks.h for the
/// arrays). Valid while the `ActivationBuffer` it came from is alive and not requantised.
public struct QuantizedActivations: @unchecked Sendable {
    // @unchecked: a read-only view of memory owned by an ActivationBuffer; workers of a
    // ThreadPool only read it while the caller waits for them.
    public let format: ActivationFormat
    public let tokens: Int
    public let columns: Int
    @usableFromInline let raw: tandem_activations
    /// The same values interleaved by token for the batched kernels (nil when the batch is
    /// small or the backend has no batched kernels).
    let interleaved: tandem_interleaved?

    /// The int8 values of token `t` (`columns` of them).
    @inlinable public func values(token t: Int) -> UnsafePointer<Int8> {
        raw.values + t * Int(raw.valueStride)
    }
    /// The scale of block `b` of token `t`.
    @inlinable public func scale(token t: Int, block b: Int) -> Float {
        raw.scales[t * Int(raw.blocksPerRow) + b]
    }
    /// Sum of the values in the 32-run `g` of token `t`.
    @inlinable public func sum32(token t: Int, group g: Int) -> Int32 {
        raw.sums32[t * (columns / 32) + g]
    }
    /// Q8_1's `s` for block `b` of token `t` (32-element format only).
    @inlinable public func scaledSum(token t: Int, block b: Int) -> Float {
        raw.scaledSums[t * Int(raw.blocksPerRow) + b]
    }
    /// Sum of the values in the 16-run `g` of token `t` (256-element format only).
    @inlinable public func sum16(token t: Int, group g: Int) -> Int16 {
        raw.groupSums[t * (columns / 16) + g]
    }
}

/// Reusable storage for quantised activations of one format, up to a capacity in tokens
/// and columns. Grows (reallocates) only when asked for more than it has.
///
/// Not thread-safe: one owner quantises into it; pool workers may fill distinct rows.
public final class ActivationBuffer: @unchecked Sendable {
    // @unchecked: mutable storage whose rows are written by disjoint pool workers and read
    // after ThreadPool.run returns (which orders the writes before the reads).
    public let format: ActivationFormat
    public private(set) var tokenCapacity = 0
    public private(set) var columnCapacity = 0
    private var values: UnsafeMutableRawPointer?
    private var scales: UnsafeMutableRawPointer?
    private var sums32: UnsafeMutableRawPointer?
    private var extra: UnsafeMutableRawPointer?  // scaledSums (q8_0) or groupSums (q8_K)

    public init(format: ActivationFormat, tokens: Int = 0, columns: Int = 0) {
        self.format = format
        reserve(tokens: tokens, columns: columns)
    }

    deinit {
        release()
        interleavedStorage?.0.deallocate()
    }

    private func release() {
        values?.deallocate(); scales?.deallocate(); sums32?.deallocate(); extra?.deallocate()
        values = nil; scales = nil; sums32 = nil; extra = nil
    }

    /// Makes room for `tokens` rows of `columns` values (a multiple of the block size).
    public func reserve(tokens: Int, columns: Int) {
        precondition(tokens >= 0 && columns >= 0 && columns % format.blockSize == 0,
                     "columns \(columns) must be a multiple of \(format.blockSize)")
        if tokens <= tokenCapacity && columns <= columnCapacity { return }
        let newTokens = max(tokens, tokenCapacity, 1)
        let newColumns = max(columns, columnCapacity, format.blockSize)
        release()
        let stride = (newColumns + 63) & ~63
        let blocks = newColumns / format.blockSize
        values = .allocate(byteCount: newTokens * stride, alignment: 64)
        scales = .allocate(byteCount: newTokens * blocks * 4, alignment: 64)
        sums32 = .allocate(byteCount: newTokens * (newColumns / 32) * 4, alignment: 64)
        switch format {
        case .q8_0: extra = .allocate(byteCount: newTokens * blocks * 4, alignment: 64)
        case .q8_K: extra = .allocate(byteCount: newTokens * (newColumns / 16) * 2, alignment: 64)
        }
        tokenCapacity = newTokens
        columnCapacity = newColumns
    }

    /// The view of `tokens` rows of `columns` values laid out for exactly that width.
    func layout(tokens: Int, columns: Int) -> QuantizedActivations {
        reserve(tokens: tokens, columns: columns)
        let stride = (columns + 63) & ~63
        let raw = tandem_activations(
            values: UnsafePointer(values!.assumingMemoryBound(to: Int8.self)),
            scales: UnsafePointer(scales!.assumingMemoryBound(to: Float.self)),
            sums32: UnsafePointer(sums32!.assumingMemoryBound(to: Int32.self)),
            scaledSums: format == .q8_0 ? UnsafePointer(extra!.assumingMemoryBound(to: Float.self)) : nil,
            groupSums: format == .q8_K ? UnsafePointer(extra!.assumingMemoryBound(to: Int16.self)) : nil,
            valueStride: Int64(stride), columns: Int64(columns),
            blocksPerRow: Int64(columns / format.blockSize))
        return QuantizedActivations(format: format, tokens: tokens, columns: columns, raw: raw, interleaved: nil)
    }

    /// Interleaved storage: values, scales, offsetSums, minSums.
    private var interleavedStorage: (UnsafeMutableRawPointer, Int)?

    /// Builds the token-interleaved copy of `view` for the batched kernels.
    func interleave(_ view: QuantizedActivations) -> QuantizedActivations {
        let tokenStride = (view.tokens + 15) / 16 * 16
        let columns = view.columns
        // values, then scales (≤ columns/32 per token), offset sums (≤ columns/16), min sums (≤ columns/32).
        let valueBytes = tokenStride * columns
        let scaleBytes = tokenStride * (columns / 32) * 4
        let offsetBytes = tokenStride * (columns / 16) * 4
        let needed = valueBytes + 2 * scaleBytes + offsetBytes + 256
        if (interleavedStorage?.1 ?? 0) < needed {
            interleavedStorage?.0.deallocate()
            interleavedStorage = (.allocate(byteCount: needed, alignment: 64), needed)
        }
        let base = interleavedStorage!.0
        let values = base.assumingMemoryBound(to: Int8.self)
        let scales = (base + valueBytes).assumingMemoryBound(to: Float.self)
        let offsetSums = (base + valueBytes + scaleBytes).assumingMemoryBound(to: Int32.self)
        let minSums = (base + valueBytes + scaleBytes + offsetBytes).assumingMemoryBound(to: Float.self)
        withUnsafePointer(to: view.raw) { raw in
            tandem_interleave_activations(raw, Int64(view.tokens), Int64(format.blockSize), Int64(tokenStride),
                                          values, scales, offsetSums, minSums)
        }
        let interleaved = tandem_interleaved(
            values: UnsafePointer(values), scales: UnsafePointer(scales), offsetSums: UnsafePointer(offsetSums),
            minSums: UnsafePointer(minSums), tokenStride: Int64(tokenStride), tokens: Int64(view.tokens),
            columns: Int64(columns))
        return QuantizedActivations(format: format, tokens: view.tokens, columns: columns, raw: view.raw,
                                    interleaved: interleaved)
    }

    /// Quantises `tokens` rows of `columns` floats (`inputStride` floats apart), splitting the
    /// rows over `pool` when there are several. Returns the view of the result.
    public func quantize(
        _ input: UnsafePointer<Float>, tokens: Int, columns: Int, inputStride: Int? = nil,
        backend: KernelBackend = .best, pool: ThreadPool? = nil, batchThreshold: Int = MatMul.batchThreshold
    ) -> QuantizedActivations {
        let view = layout(tokens: tokens, columns: columns)
        let stride = inputStride ?? columns
        let format = self.format
        let quantizeRows = { (rows: Range<Int>) in
            for t in rows {
                ActivationQuantizer.quantizeRow(input + t * stride, into: view, token: t,
                                                format: format, backend: backend)
            }
        }
        if let pool, tokens >= 8 {
            pool.parallelFor(count: tokens, grain: 4, quantizeRows)
        } else {
            quantizeRows(0..<tokens)
        }
        return tokens >= batchThreshold && backend.hasBatchedKernels ? interleave(view) : view
    }
}

/// Quantisers for one activation row.
public enum ActivationQuantizer {
    /// Quantises one row into token `t` of `view`'s storage with the chosen backend.
    static func quantizeRow(
        _ x: UnsafePointer<Float>, into view: QuantizedActivations, token t: Int,
        format: ActivationFormat, backend: KernelBackend
    ) {
        let raw = view.raw
        let columns = view.columns
        let values = UnsafeMutablePointer(mutating: raw.values + t * Int(raw.valueStride))
        let blocks = columns / format.blockSize
        let scales = UnsafeMutablePointer(mutating: raw.scales + t * blocks)
        let sums32 = UnsafeMutablePointer(mutating: raw.sums32 + t * (columns / 32))
        switch format {
        case .q8_0:
            let scaledSums = UnsafeMutablePointer(mutating: raw.scaledSums! + t * blocks)
            if backend == .avx512 {
                tandem_avx512_quantize_q8_32(x, Int64(columns), values, scales, sums32, scaledSums)
            } else {
                quantizeRowQ8_32(x, columns: columns, values: values, scales: scales,
                                 sums32: sums32, scaledSums: scaledSums)
            }
        case .q8_K:
            let groupSums = UnsafeMutablePointer(mutating: raw.groupSums! + t * (columns / 16))
            if backend == .avx512 {
                tandem_avx512_quantize_q8_256(x, Int64(columns), values, scales, sums32, groupSums)
            } else {
                quantizeRowQ8_256(x, columns: columns, values: values, scales: scales,
                                  sums32: sums32, groupSums: groupSums)
            }
        }
    }

    /// Reference quantiser for the 32-element format, as llama.cpp's x86 `quantize_row_q8_0`
    /// and `quantize_row_q8_1`: d = amax / 127 stored as binary16; q = round-half-even(x * 127 / amax).
    public static func quantizeRowQ8_32(
        _ x: UnsafePointer<Float>, columns: Int, values: UnsafeMutablePointer<Int8>,
        scales: UnsafeMutablePointer<Float>, sums32: UnsafeMutablePointer<Int32>,
        scaledSums: UnsafeMutablePointer<Float>
    ) {
        for b in 0..<(columns / 32) {
            let xb = x + 32 * b
            var amax: Float = 0
            for j in 0..<32 { amax = max(amax, abs(xb[j])) }
            let d = amax / 127
            let id: Float = amax != 0 ? 127 / amax : 0
            var sum: Int32 = 0
            for j in 0..<32 {
                let q = Int8((xb[j] * id).rounded(.toNearestOrEven))
                values[32 * b + j] = q
                sum += Int32(q)
            }
            scales[b] = HalfFloat.roundedToHalf(d)
            sums32[b] = sum
            scaledSums[b] = HalfFloat.roundedToHalf(d * Float(sum))
        }
    }

    /// Reference quantiser for the 256-element format, as llama.cpp's `quantize_row_q8_K_ref`:
    /// the element of largest magnitude maps to -127; scale = 1 / (-127 / max).
    public static func quantizeRowQ8_256(
        _ x: UnsafePointer<Float>, columns: Int, values: UnsafeMutablePointer<Int8>,
        scales: UnsafeMutablePointer<Float>, sums32: UnsafeMutablePointer<Int32>,
        groupSums: UnsafeMutablePointer<Int16>
    ) {
        for b in 0..<(columns / 256) {
            let xb = x + 256 * b
            let qb = values + 256 * b
            var amax: Float = 0, maxValue: Float = 0
            for j in 0..<256 where abs(xb[j]) > amax {
                amax = abs(xb[j]); maxValue = xb[j]
            }
            if amax == 0 {
                for j in 0..<256 { qb[j] = 0 }
                scales[b] = 0
            } else {
                let iscale = -127 / maxValue
                for j in 0..<256 {
                    let v = (iscale * xb[j]).rounded(.toNearestOrEven)
                    qb[j] = Int8(min(127, v))
                }
                scales[b] = 1 / iscale
            }
            for g in 0..<16 {
                var sum: Int32 = 0
                for j in 0..<16 { sum += Int32(qb[16 * g + j]) }
                groupSums[16 * b + g] = Int16(sum)
            }
            for g in 0..<8 {
                sums32[8 * b + g] = Int32(groupSums[16 * b + 2 * g]) + Int32(groupSums[16 * b + 2 * g + 1])
            }
        }
    }
}
