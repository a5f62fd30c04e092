import Foundation
import TandemGGUF
import TandemKernels
import TandemTokenizer

/// A loaded model that runs batched forward passes over many sequences.
///
/// One `forward` call takes any number of sequences, each a run of new tokens appended to
/// its own `KVCache`: prefill, single-token decode and verification of a draft chunk are
/// all this call, and every weight is read once per call for all sequences. Weights stay
/// quantised in the memory-mapped file; scratch memory is reused between calls.
///
/// Thread-safety: calls are serialised by an internal lock; the matrix work of one call is
/// split over the engine's thread pool.
public final class Engine: @unchecked Sendable {
    public let configuration: ModelConfiguration
    public let tokenizer: Tokenizer
    public let file: GGUFFile
    public let threadCount: Int
    /// Whether results are independent of batch composition (see `init`).
    public var batchInvariant: Bool { workspace.batchThreshold <= 1 }
    let weights: ModelWeights
    let pool: ThreadPool
    let workspace: MatMulWorkspace
    let scratch = ForwardScratch()
    let rope: Rope
    let lock = NSLock()
    /// Rows of logits computed at once (bounds the logits scratch to chunk × vocabulary).
    static let logitChunk = 32

    /// Loads and validates the model at `path`.
    /// - Parameters:
    ///   - threads: threads for matrix work (default: the active processor count).
    ///   - backend: kernel implementation (default: the fastest this CPU runs; `.reference`
    ///     runs the scalar twins, for checking the fast paths end to end).
    ///   - batchInvariant: every token's results are independent of the other tokens and
    ///     sequences in its call, bit for bit (see `MatMulWorkspace`). The cloud runs so, so
    ///     a verification answers exactly what the same context alone would give. Slower
    ///     single-sequence decode.
    public convenience init(path: String, threads: Int? = nil, backend: KernelBackend = .best, batchInvariant: Bool = false) throws {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch { throw EngineError.file(error) }
        try self.init(file: file, threads: threads, backend: backend, batchInvariant: batchInvariant)
    }

    public init(file: GGUFFile, threads: Int? = nil, backend: KernelBackend = .best, batchInvariant: Bool = false) throws {
        self.file = file
        tokenizer = try Tokenizer(gguf: file)
        guard let embedding = file.tensor(named: "token_embd.weight") else { throw EngineError.missingTensor("token_embd.weight") }
        guard embedding.shape.count == 2 else {
            throw EngineError.tensorShape(tensor: "token_embd.weight", expected: [-1, -1], found: embedding.shape)
        }
        configuration = try ModelConfiguration(metadata: file.metadata, vocabularySize: embedding.shape[1])
        guard tokenizer.vocabularySize <= configuration.vocabularySize else {
            throw EngineError.invalidHyperParameter(key: "tokenizer.ggml.tokens", value: "\(tokenizer.vocabularySize)",
                                                    reason: "more tokens than the embedding's \(configuration.vocabularySize) rows")
        }
        weights = try ModelWeights(file: file, configuration: configuration)
        let count = threads ?? ProcessInfo.processInfo.activeProcessorCount
        guard count >= 1 else { throw EngineError.invalidRequest("threads must be at least 1") }
        threadCount = count
        pool = ThreadPool(threads: count)
        guard backend.isAvailable else { throw EngineError.invalidRequest("kernel backend \(backend) does not run on this CPU") }
        workspace = MatMulWorkspace(backend: backend, tokens: 1, columns: max(configuration.embeddingLength, configuration.feedForwardLength),
                                    batchInvariant: batchInvariant)
        rope = Rope(headDim: configuration.headDim, rotaryDims: configuration.ropeDimensions,
                    base: configuration.ropeBase, style: configuration.architecture.ropeStyle)
    }

    /// A new, empty cache for one sequence (limit: the model's context length by default).
    public func makeCache(maxLength: Int? = nil) -> KVCache {
        KVCache(layerCount: configuration.layerCount, kvDim: configuration.kvDim,
                maxLength: min(maxLength ?? configuration.contextLength, configuration.contextLength))
    }

    /// Runs the new tokens of every sequence through the model, appending to their caches,
    /// and returns what each sequence's `OutputRequest` asked for.
    ///
    /// Everything is checked before any cache changes: token ids, layer indices, context
    /// limits, and that no cache appears twice.
    public func forward(_ batch: [SequenceInput]) throws(EngineError) -> [SequenceOutput] {
        try validate(batch)
        lock.lock()
        defer { lock.unlock() }
        return run(batch)
    }

    /// Convenience: one sequence.
    public func forward(_ tokens: [TokenID], cache: KVCache, outputs: OutputRequest = OutputRequest()) throws(EngineError) -> SequenceOutput {
        try forward([SequenceInput(cache: cache, tokens: tokens, outputs: outputs)])[0]
    }

    /// Appends `tokens` to `cache` and hands the last token's raw logits to `body` without
    /// copying them (the buffer is engine scratch, valid only inside `body`). The decode step
    /// of generation: no per-token allocation of the vocabulary-sized row.
    public func forwardLast<Result>(
        _ tokens: [TokenID], cache: KVCache, _ body: (UnsafeMutableBufferPointer<Float>) -> Result
    ) throws(EngineError) -> Result {
        guard !tokens.isEmpty else { throw .invalidRequest("no tokens to run") }
        let batch = [SequenceInput(cache: cache, tokens: tokens, outputs: OutputRequest(rows: .last, distribution: .logits))]
        try validate(batch)
        lock.lock()
        defer { lock.unlock() }
        return withoutActuallyEscaping(body) { body in
            var result: Result?
            _ = run(batch) { _, _, logits in result = body(logits) }
            return result!
        }
    }

    /// `forwardLast`, also returning the last token's final hidden state (after the output
    /// norm): what a router on the model's state reads.
    public func forwardLast<Result>(
        _ tokens: [TokenID], cache: KVCache, hiddenState: Bool, _ body: (UnsafeMutableBufferPointer<Float>) -> Result
    ) throws(EngineError) -> (Result, hidden: [Float]?) {
        guard hiddenState else { return (try forwardLast(tokens, cache: cache, body), nil) }
        guard !tokens.isEmpty else { throw .invalidRequest("no tokens to run") }
        let batch = [SequenceInput(cache: cache, tokens: tokens, outputs: OutputRequest(rows: .last, distribution: .logits, hiddenState: true))]
        try validate(batch)
        lock.lock()
        defer { lock.unlock() }
        return withoutActuallyEscaping(body) { body in
            var result: Result?
            let outputs = run(batch) { _, _, logits in result = body(logits) }
            return (result!, outputs[0].tokens.last?.hiddenState)
        }
    }

    private func validate(_ batch: [SequenceInput]) throws(EngineError) {
        let c = configuration
        var seen = Set<ObjectIdentifier>()
        for sequence in batch {
            guard seen.insert(ObjectIdentifier(sequence.cache)).inserted else {
                throw .invalidRequest("the same cache appears twice in one batch")
            }
            guard sequence.cache.layerCount == c.layerCount, sequence.cache.kvDim == c.kvDim else {
                throw .invalidRequest("cache was made for a different model")
            }
            let cache = sequence.cache
            guard cache.length + sequence.tokens.count <= cache.maxLength else {
                throw .contextFull(length: cache.length, adding: sequence.tokens.count, limit: cache.maxLength)
            }
            for id in sequence.tokens where id < 0 || Int(id) >= c.vocabularySize {
                throw .tokenOutOfRange(id: id, vocabularySize: c.vocabularySize)
            }
            for layer in sequence.outputs.layerOutputs + sequence.outputs.attentionLayers where !(0..<c.layerCount).contains(layer) {
                throw .invalidRequest("layer \(layer) is outside 0..<\(c.layerCount)")
            }
            if case .topK(let k) = sequence.outputs.distribution, k < 0 || k > c.vocabularySize {
                throw .invalidRequest("top-k \(k) is outside 0...\(c.vocabularySize)")
            }
        }
    }
}

extension Engine {
    /// The next-token distribution from a residual-stream row (`TokenOutput.layerOutputs`):
    /// applies the output norm and head, as if the remaining blocks were skipped (early exit).
    /// Applied to the last block's output it gives the model's own distribution.
    public func distribution(fromLayerOutput hidden: [Float], topK: Int) throws(EngineError) -> [TokenLogProb] {
        let c = configuration
        guard hidden.count == c.embeddingLength else {
            throw .invalidRequest("hidden state has \(hidden.count) floats, expected \(c.embeddingLength)")
        }
        guard topK >= 0 && topK <= c.vocabularySize else { throw .invalidRequest("top-k \(topK) out of range") }
        lock.lock()
        defer { lock.unlock() }
        let normed = scratch.normed.ensure(c.embeddingLength)
        hidden.withUnsafeBufferPointer {
            RMSNorm.apply($0.baseAddress!, weight: weights.outputNorm, epsilon: c.rmsEpsilon, output: normed, count: c.embeddingLength)
        }
        let logits = scratch.logits.ensure(Self.logitChunk * c.vocabularySize)
        MatMul.multiply(weights.output, input: normed, tokens: 1, output: logits, workspace: workspace, pool: pool)
        var token = TokenOutput(index: 0, position: 0)
        fill(&token, logits: logits, request: .topK(topK))
        return token.top
    }
}
