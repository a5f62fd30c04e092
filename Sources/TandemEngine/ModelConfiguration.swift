import TandemGGUF
import TandemKernels

/// Transformer families the engine runs.
public enum Architecture: String, Sendable, CaseIterable {
    /// Llama (SmolLM2): RoPE on adjacent pairs, no attention biases.
    case llama
    /// Qwen2 (Qwen2.5-Coder): RoPE on halves (NeoX), biases on the q/k/v projections.
    case qwen2

    /// Pairing of rotary dimensions, as llama.cpp's `llama_model_rope_type` assigns it.
    public var ropeStyle: RopeStyle { self == .llama ? .normal : .neox }
    public var hasAttentionBiases: Bool { self == .qwen2 }
}

/// Hyper-parameters of a decoder-only transformer, read from GGUF metadata and validated.
public struct ModelConfiguration: Sendable, Equatable {
    public let architecture: Architecture
    /// Width of the residual stream.
    public let embeddingLength: Int
    public let layerCount: Int
    public let headCount: Int
    /// Key/value heads (grouped-query attention: `headCount` is a multiple of it).
    public let kvHeadCount: Int
    public let headDim: Int
    public let feedForwardLength: Int
    /// The context length the model was trained for (the default cache limit).
    public let contextLength: Int
    public let rmsEpsilon: Float
    public let ropeBase: Float
    public let ropeDimensions: Int
    public let vocabularySize: Int

    /// Floats of one token's keys (or values) in one layer.
    public var kvDim: Int { kvHeadCount * headDim }
    public var queryDim: Int { headCount * headDim }

    /// Reads `<arch>.*` keys. `rope.freq_base` defaults to 10000 and `rope.dimension_count`
    /// to the head size when absent, as in llama.cpp; every other key is required.
    public init(metadata: GGUFMetadata, vocabularySize: Int) throws(EngineError) {
        let name: String
        do { name = try metadata.string("general.architecture") } catch { throw .file(error) }
        guard let architecture = Architecture(rawValue: name) else { throw .unsupportedArchitecture(name) }
        self.architecture = architecture
        func int(_ key: String) throws(EngineError) -> Int {
            let full = "\(name).\(key)"
            let value: Int
            do { value = try metadata.int(full) } catch { throw .file(error) }
            guard value > 0 else { throw .invalidHyperParameter(key: full, value: "\(value)", reason: "must be positive") }
            return value
        }
        func float(_ key: String, default fallback: Double?) throws(EngineError) -> Float {
            let full = "\(name).\(key)"
            if metadata[full] == nil, let fallback { return Float(fallback) }
            let value: Double
            do { value = try metadata.double(full) } catch { throw .file(error) }
            guard value.isFinite, value > 0 else { throw .invalidHyperParameter(key: full, value: "\(value)", reason: "must be a positive number") }
            return Float(value)
        }
        embeddingLength = try int("embedding_length")
        layerCount = try int("block_count")
        headCount = try int("attention.head_count")
        kvHeadCount = try int("attention.head_count_kv")
        feedForwardLength = try int("feed_forward_length")
        contextLength = try int("context_length")
        rmsEpsilon = try float("attention.layer_norm_rms_epsilon", default: nil)
        ropeBase = try float("rope.freq_base", default: 10000)
        guard embeddingLength % headCount == 0 else {
            throw .invalidHyperParameter(key: "\(name).attention.head_count", value: "\(headCount)",
                                         reason: "does not divide embedding_length \(embeddingLength)")
        }
        headDim = embeddingLength / headCount
        guard headCount % kvHeadCount == 0 else {
            throw .invalidHyperParameter(key: "\(name).attention.head_count_kv", value: "\(kvHeadCount)",
                                         reason: "does not divide head_count \(headCount)")
        }
        ropeDimensions = metadata["\(name).rope.dimension_count"] == nil ? headDim : try int("rope.dimension_count")
        guard ropeDimensions % 2 == 0, ropeDimensions <= headDim else {
            throw .invalidHyperParameter(key: "\(name).rope.dimension_count", value: "\(ropeDimensions)",
                                         reason: "must be even and at most the head size \(headDim)")
        }
        guard vocabularySize > 0 else { throw .invalidHyperParameter(key: "vocabulary", value: "0", reason: "empty") }
        self.vocabularySize = vocabularySize
    }
}
