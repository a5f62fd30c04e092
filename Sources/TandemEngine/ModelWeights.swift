import TandemGGUF
import TandemKernels

/// One transformer block's weights, pointing into the memory-mapped file.
struct LayerWeights: @unchecked Sendable {
    var attentionNorm: UnsafePointer<Float>
    var query, key, value, attentionOutput: WeightMatrix
    var queryBias, keyBias, valueBias: UnsafePointer<Float>?
    var feedForwardNorm: UnsafePointer<Float>
    var gate, up, down: WeightMatrix
}

/// All weights of a model, used in place from the mapping (never copied).
///
/// `@unchecked Sendable`: pointers into a read-only mapping kept alive by `file`.
struct ModelWeights: @unchecked Sendable {
    let file: GGUFFile
    let tokenEmbedding: WeightMatrix
    let outputNorm: UnsafePointer<Float>
    /// The output head: `output.weight`, or the token embedding when the model ties them.
    let output: WeightMatrix
    let layers: [LayerWeights]

    init(file: GGUFFile, configuration c: ModelConfiguration) throws(EngineError) {
        self.file = file
        func matrix(_ name: String, rows: Int, columns: Int) throws(EngineError) -> WeightMatrix {
            guard let info = file.tensor(named: name) else { throw .missingTensor(name) }
            guard info.shape == [columns, rows] else { throw .tensorShape(tensor: name, expected: [columns, rows], found: info.shape) }
            let bytes = file.data(for: info)
            do {
                return try WeightMatrix(type: info.type, rows: rows, columns: columns, data: bytes.baseAddress!, byteCount: bytes.count)
            } catch {
                throw .unsupportedTensorType(tensor: name, type: info.type.name)
            }
        }
        func vector(_ name: String, count: Int, optional: Bool = false) throws(EngineError) -> UnsafePointer<Float>? {
            guard let info = file.tensor(named: name) else {
                if optional { return nil }
                throw .missingTensor(name)
            }
            guard info.shape == [count] else { throw .tensorShape(tensor: name, expected: [count], found: info.shape) }
            guard info.type == .f32 else { throw .unsupportedTensorType(tensor: name, type: info.type.name + " (norms and biases must be F32)") }
            return file.data(for: info).baseAddress!.assumingMemoryBound(to: Float.self)
        }
        let d = c.embeddingLength
        tokenEmbedding = try matrix("token_embd.weight", rows: c.vocabularySize, columns: d)
        outputNorm = try vector("output_norm.weight", count: d)!
        output = file.tensor(named: "output.weight") == nil
            ? tokenEmbedding : try matrix("output.weight", rows: c.vocabularySize, columns: d)
        var layers: [LayerWeights] = []
        for l in 0..<c.layerCount {
            let p = "blk.\(l)."
            let biases = c.architecture.hasAttentionBiases
            layers.append(LayerWeights(
                attentionNorm: try vector(p + "attn_norm.weight", count: d)!,
                query: try matrix(p + "attn_q.weight", rows: c.queryDim, columns: d),
                key: try matrix(p + "attn_k.weight", rows: c.kvDim, columns: d),
                value: try matrix(p + "attn_v.weight", rows: c.kvDim, columns: d),
                attentionOutput: try matrix(p + "attn_output.weight", rows: d, columns: c.queryDim),
                queryBias: try vector(p + "attn_q.bias", count: c.queryDim, optional: !biases),
                keyBias: try vector(p + "attn_k.bias", count: c.kvDim, optional: !biases),
                valueBias: try vector(p + "attn_v.bias", count: c.kvDim, optional: !biases),
                feedForwardNorm: try vector(p + "ffn_norm.weight", count: d)!,
                gate: try matrix(p + "ffn_gate.weight", rows: c.feedForwardLength, columns: d),
                up: try matrix(p + "ffn_up.weight", rows: c.feedForwardLength, columns: d),
                down: try matrix(p + "ffn_down.weight", rows: d, columns: c.feedForwardLength)))
        }
        self.layers = layers
    }
}
