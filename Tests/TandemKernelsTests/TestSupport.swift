import TandemGGUF
import TandemKernels
import TandemTestSupport

extension SeededGenerator {
    /// Roughly normal (sum of uniforms), scaled.
    mutating func gaussian(_ sigma: Float = 1) -> Float {
        var s: Float = 0
        for _ in 0..<4 { s += Float.random(in: -1...1, using: &self) }
        return s * sigma * 0.866
    }
}

/// The quantised types every kernel handles.
let quantizedTypes: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

/// A matrix of random but realistic blocks: random quant bits, finite binary16 scales of
/// the magnitude real models have.
func randomWeights(type: GGMLType, rows: Int, columns: Int, seed: UInt64) -> [UInt8] {
    var rng = SeededGenerator(seed: seed)
    let rowBytes = type.byteCount(elements: columns)!
    var bytes = (0..<(rows * rowBytes)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    func putHalf(_ value: Float, at offset: Int) {
        let h = HalfFloat.half(from: value)
        bytes[offset] = UInt8(h & 0xFF)
        bytes[offset + 1] = UInt8(h >> 8)
    }
    switch type {
    case .f32:
        for i in 0..<(rows * columns) {
            let v = rng.gaussian(0.05).bitPattern
            for k in 0..<4 { bytes[4 * i + k] = UInt8((v >> (8 * UInt32(k))) & 0xFF) }
        }
        return bytes
    case .f16:
        for i in 0..<(rows * columns) { putHalf(rng.gaussian(0.05), at: 2 * i) }
        return bytes
    case .bf16:
        for i in 0..<(rows * columns) {
            let h = HalfFloat.bfloat16(from: rng.gaussian(0.05))
            bytes[2 * i] = UInt8(h & 0xFF); bytes[2 * i + 1] = UInt8(h >> 8)
        }
        return bytes
    default: break
    }
    let blocks = rows * columns / type.blockSize
    for b in 0..<blocks {
        let base = b * type.bytesPerBlock
        let sign: Float = Bool.random(using: &rng) ? 1 : -1
        switch type {
        case .q4_0, .q5_0, .q8_0:
            putHalf(sign * Float.random(in: 0.0005...0.02, using: &rng), at: base)
        case .q4_1, .q5_1:
            putHalf(Float.random(in: 0.0005...0.02, using: &rng), at: base)
            putHalf(-Float.random(in: 0...0.2, using: &rng), at: base + 2)
        case .q4_K, .q5_K:
            putHalf(Float.random(in: 0.0001...0.002, using: &rng), at: base)
            putHalf(Float.random(in: 0...0.003, using: &rng), at: base + 2)
        case .q6_K:
            putHalf(sign * Float.random(in: 0.00005...0.001, using: &rng), at: base + 208)
        default: fatalError("no random blocks for \(type)")
        }
    }
    return bytes
}

/// Random activations like a transformer's hidden state: mostly small, a few outliers.
func randomActivations(count: Int, seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
        let v = rng.gaussian(1)
        return Int.random(in: 0..<97, using: &rng) == 0 ? v * 20 : v
    }
}

/// Dequantises a whole row.
func dequantized(type: GGMLType, row: UnsafeRawPointer, columns: Int) -> [Float] {
    var out = [Float](repeating: .nan, count: columns)
    out.withUnsafeMutableBufferPointer { try! dequantizeRow(type: type, source: row, destination: $0.baseAddress!, count: columns) }
    return out
}
