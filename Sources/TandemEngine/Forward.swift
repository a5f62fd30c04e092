import TandemKernels

extension Engine {
    /// Where one output row comes from.
    struct OutputRow {
        var sequence: Int
        var index: Int      // among the sequence's new tokens
        var row: Int        // row in the batch's scratch
        var token: Int      // position in the sequence's `SequenceOutput.tokens`
    }

    /// Receives rows of raw logits in place of `.logits` arrays: (sequence, token, row).
    typealias LogitsSink = (Int, Int, UnsafeMutableBufferPointer<Float>) -> Void

    /// The forward pass proper; `batch` is validated and the lock is held.
    func run(_ batch: [SequenceInput], logitsSink: LogitsSink? = nil) -> [SequenceOutput] {
        let c = configuration
        let d = c.embeddingLength
        var rowStart: [Int] = []
        var total = 0
        for sequence in batch {
            rowStart.append(total)
            total += sequence.tokens.count
        }
        let startLengths = batch.map(\.cache.length)
        var outputs = batch.map { _ in SequenceOutput(tokens: [], attentionImportance: nil) }
        var outputRows: [OutputRow] = []
        for (s, sequence) in batch.enumerated() {
            let n = sequence.tokens.count
            let indices: Range<Int> = switch sequence.outputs.rows {
            case .none: 0..<0
            case .all: 0..<n
            case .tail(let k): max(0, n - k)..<n
            }
            for i in indices {
                outputRows.append(OutputRow(sequence: s, index: i, row: rowStart[s] + i, token: outputs[s].tokens.count))
                var token = TokenOutput(index: i, position: startLengths[s] + i)
                token.layerOutputs = Array(repeating: [], count: sequence.outputs.layerOutputs.count)
                outputs[s].tokens.append(token)
            }
        }
        // Attention importance: per sequence, heads × final length, summed over chosen layers.
        let importance: [UnsafeMutablePointer<Float>?] = batch.enumerated().map { s, sequence in
            guard !sequence.outputs.attentionLayers.isEmpty else { return nil }
            let count = c.headCount * (startLengths[s] + sequence.tokens.count)
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
            buffer.initialize(repeating: 0, count: count)
            return buffer
        }
        defer { importance.forEach { $0?.deallocate() } }
        if total > 0 {
            scratch.prepare(tokens: total, configuration: c)
            for sequence in batch { sequence.cache.reserve(sequence.cache.length + sequence.tokens.count) }
            let x = scratch.residual.pointer
            for (s, sequence) in batch.enumerated() {
                for (i, token) in sequence.tokens.enumerated() {
                    weights.tokenEmbedding.dequantize(row: Int(token), into: x + (rowStart[s] + i) * d)
                }
            }
            for l in 0..<c.layerCount {
                let wantsImportance = batch.map { $0.outputs.attentionLayers.contains(l) }
                layer(l, batch: batch, rowStart: rowStart, startLengths: startLengths, total: total,
                      importance: zip(importance, wantsImportance).map { $1 ? $0 : nil })
                for output in outputRows {
                    for (slot, layer) in batch[output.sequence].outputs.layerOutputs.enumerated() where layer == l {
                        outputs[output.sequence].tokens[output.token].layerOutputs[slot] =
                            Array(UnsafeBufferPointer(start: x + output.row * d, count: d))
                    }
                }
            }
            for (s, sequence) in batch.enumerated() { sequence.cache.advance(by: sequence.tokens.count) }
            finish(batch, outputRows: outputRows, outputs: &outputs, logitsSink: logitsSink)
        }
        for (s, buffer) in importance.enumerated() {
            guard let buffer else { continue }
            let length = startLengths[s] + batch[s].tokens.count
            var summed = [Float](repeating: 0, count: length)
            for h in 0..<c.headCount {
                for j in 0..<length { summed[j] += buffer[h * length + j] }
            }
            outputs[s].attentionImportance = summed
        }
        return outputs
    }

    /// One transformer block over all rows of the batch, updating the residual in place.
    private func layer(_ l: Int, batch: [SequenceInput], rowStart: [Int], startLengths: [Int], total: Int,
                       importance: [UnsafeMutablePointer<Float>?]) {
        let c = configuration
        let w = weights.layers[l]
        let d = c.embeddingLength
        let x = scratch.residual.pointer, normed = scratch.normed.pointer
        let q = scratch.query.pointer, k = scratch.key.pointer, v = scratch.value.pointer
        let projection = scratch.projection.pointer
        normalize(rows: total, x, weight: w.attentionNorm, into: normed)
        project(normed, tokens: total, through: [(w.query, q), (w.key, k), (w.value, v)])
        if let bias = w.queryBias { VectorOps.addBias(bias, to: q, rows: total, stride: c.queryDim, count: c.queryDim) }
        if let bias = w.keyBias { VectorOps.addBias(bias, to: k, rows: total, stride: c.kvDim, count: c.kvDim) }
        if let bias = w.valueBias { VectorOps.addBias(bias, to: v, rows: total, stride: c.kvDim, count: c.kvDim) }
        for (s, sequence) in batch.enumerated() {
            let keys = sequence.cache.keys(layer: l), values = sequence.cache.values(layer: l)
            for i in 0..<sequence.tokens.count {
                let row = rowStart[s] + i, position = startLengths[s] + i
                rope.apply(q + row * c.queryDim, heads: c.headCount, position: position)
                rope.apply(k + row * c.kvDim, heads: c.kvHeadCount, position: position)
                (keys + position * c.kvDim).update(from: k + row * c.kvDim, count: c.kvDim)
                (values + position * c.kvDim).update(from: v + row * c.kvDim, count: c.kvDim)
            }
        }
        attention(l, batch: batch, rowStart: rowStart, startLengths: startLengths, importance: importance)
        MatMul.multiply(w.attentionOutput, input: scratch.attention.pointer, tokens: total, output: projection,
                        workspace: workspace, pool: pool)
        VectorOps.add(projection, to: x, count: total * d)
        normalize(rows: total, x, weight: w.feedForwardNorm, into: normed)
        let gate = scratch.gate.pointer, up = scratch.up.pointer
        project(normed, tokens: total, through: [(w.gate, gate), (w.up, up)])
        VectorOps.swiglu(gate: gate, up: up, count: total * c.feedForwardLength)
        MatMul.multiply(w.down, input: gate, tokens: total, output: projection, workspace: workspace, pool: pool)
        VectorOps.add(projection, to: x, count: total * d)
    }

    /// Multiplies one input by several weight matrices (q/k/v, gate/up), quantising the
    /// input once per activation format rather than once per matrix.
    private func project(_ input: UnsafeMutablePointer<Float>, tokens: Int,
                         through targets: [(WeightMatrix, UnsafeMutablePointer<Float>)]) {
        var q8_0: QuantizedActivations?, q8_K: QuantizedActivations?
        for (weights, output) in targets {
            switch weights.type.activationFormat {
            case nil:
                MatMul.multiply(weights, input: input, tokens: tokens, output: output, workspace: workspace, pool: pool)
                continue
            case .q8_0:
                if q8_0 == nil { q8_0 = workspace.quantize(input, tokens: tokens, columns: weights.columns, for: weights.type, pool: pool) }
                MatMul.multiply(weights, activations: q8_0!, output: output, workspace: workspace, pool: pool)
            case .q8_K:
                if q8_K == nil { q8_K = workspace.quantize(input, tokens: tokens, columns: weights.columns, for: weights.type, pool: pool) }
                MatMul.multiply(weights, activations: q8_K!, output: output, workspace: workspace, pool: pool)
            }
        }
    }

    /// RMSNorm of `rows` residual rows into `output` (same layout).
    private func normalize(rows: Int, _ input: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>,
                           into output: UnsafeMutablePointer<Float>) {
        let d = configuration.embeddingLength
        for r in 0..<rows {
            RMSNorm.apply(input + r * d, weight: weight, epsilon: configuration.rmsEpsilon, output: output + r * d, count: d)
        }
    }

    /// Causal attention of every new token over its own sequence's cache; tasks are
    /// (sequence, head) pairs spread over the pool. Adds attention probabilities into
    /// `importance[s]` (`heads × final length`) where given.
    private func attention(_ l: Int, batch: [SequenceInput], rowStart: [Int], startLengths: [Int],
                           importance: [UnsafeMutablePointer<Float>?]) {
        let c = configuration
        let heads = c.headCount, headDim = c.headDim, kvDim = c.kvDim, queryDim = c.queryDim
        let group = heads / c.kvHeadCount
        let scale = 1 / Float(headDim).squareRoot()
        let longest = zip(batch, startLengths).map { $0.tokens.count + $1 }.max() ?? 0
        let scoresAll = scratch.scores.ensure(pool.threadCount * max(longest, 1))
        let q = scratch.query.pointer, out = scratch.attention.pointer
        pool.parallelFor(count: batch.count * heads, grain: 1) { range, participant in
            let scores = scoresAll + participant * longest
            for task in range {
                let s = task / heads, h = task % heads, g = h / group
                let sequence = batch[s]
                let keys = sequence.cache.keys(layer: l) + g * headDim
                let values = sequence.cache.values(layer: l) + g * headDim
                let finalLength = startLengths[s] + sequence.tokens.count
                for i in 0..<sequence.tokens.count {
                    let row = rowStart[s] + i
                    let length = startLengths[s] + i + 1
                    let query = q + row * queryDim + h * headDim
                    for j in 0..<length {
                        scores[j] = VectorOps.dot(query, keys + j * kvDim, count: headDim) * scale
                    }
                    VectorOps.softmax(scores, count: length)
                    if let buffer = importance[s] {
                        VectorOps.add(scores, to: buffer + h * finalLength, count: length)
                    }
                    let result = out + row * queryDim + h * headDim
                    result.initialize(repeating: 0, count: headDim)
                    for j in 0..<length {
                        VectorOps.addScaled(values + j * kvDim, by: scores[j], to: result, count: headDim)
                    }
                }
            }
        }
    }

    /// Output norm, head and distributions for the requested rows.
    private func finish(_ batch: [SequenceInput], outputRows: [OutputRow], outputs: inout [SequenceOutput],
                        logitsSink: LogitsSink?) {
        let c = configuration
        let d = c.embeddingLength
        let x = scratch.residual.pointer, normed = scratch.normed.pointer
        for (k, output) in outputRows.enumerated() {
            RMSNorm.apply(x + output.row * d, weight: weights.outputNorm, epsilon: c.rmsEpsilon,
                          output: normed + k * d, count: d)
        }
        var slots: [(sequence: Int, token: Int, k: Int)] = []
        for (k, output) in outputRows.enumerated() {
            let token = output.token
            if batch[output.sequence].outputs.hiddenState {
                outputs[output.sequence].tokens[token].hiddenState = Array(UnsafeBufferPointer(start: normed + k * d, count: d))
            }
            if batch[output.sequence].outputs.distribution != .none { slots.append((output.sequence, token, k)) }
        }
        let vocabulary = c.vocabularySize
        let gathered = scratch.projection.pointer
        let logits = scratch.logits.ensure(Self.logitChunk * vocabulary)
        var start = 0
        while start < slots.count {
            let chunk = slots[start..<min(start + Self.logitChunk, slots.count)]
            for (j, slot) in chunk.enumerated() {
                (gathered + j * d).update(from: normed + slot.k * d, count: d)
            }
            MatMul.multiply(weights.output, input: gathered, tokens: chunk.count, output: logits, workspace: workspace, pool: pool)
            for (j, slot) in chunk.enumerated() {
                let row = logits + j * vocabulary
                let request = batch[slot.sequence].outputs.distribution
                if request == .logits, let logitsSink {
                    logitsSink(slot.sequence, slot.token, UnsafeMutableBufferPointer(start: row, count: vocabulary))
                } else {
                    fill(&outputs[slot.sequence].tokens[slot.token], logits: row, request: request)
                }
            }
            start += chunk.count
        }
    }

    func fill(_ token: inout TokenOutput, logits row: UnsafeMutablePointer<Float>, request: OutputRequest.Distribution) {
        let vocabulary = configuration.vocabularySize
        switch request {
        case .none: break
        case .logits:
            token.distribution = Array(UnsafeBufferPointer(start: row, count: vocabulary))
        case .fullLogProbs:
            let normaliser = LogitMath.logSumExp(row, count: vocabulary)
            token.distribution = (0..<vocabulary).map { row[$0] - normaliser }
        case .topK(let k):
            let normaliser = LogitMath.logSumExp(row, count: vocabulary)
            token.top = LogitMath.top(row, count: vocabulary, k: k).map {
                TokenLogProb(id: TokenID($0.index), logProb: $0.value - normaliser)
            }
        }
    }
}
