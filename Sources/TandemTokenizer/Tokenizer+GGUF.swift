import TandemGGUF

extension Tokenizer {
    /// GGUF metadata keys the tokenizer reads.
    public enum MetadataKey {
        public static let model = "tokenizer.ggml.model"
        public static let pre = "tokenizer.ggml.pre"
        public static let tokens = "tokenizer.ggml.tokens"
        public static let tokenTypes = "tokenizer.ggml.token_type"
        public static let merges = "tokenizer.ggml.merges"
        public static let bosTokenID = "tokenizer.ggml.bos_token_id"
        public static let eosTokenID = "tokenizer.ggml.eos_token_id"
        public static let addBOSToken = "tokenizer.ggml.add_bos_token"
    }

    /// Loads the tokenizer of the GGUF file at `path` (only the metadata is read).
    public convenience init(contentsOf path: String) throws(TokenizerError) {
        let file: GGUFFile
        do throws(GGUFError) {
            file = try GGUFFile(path: path)
        } catch {
            throw .unreadableFile(error)
        }
        try self.init(metadata: file.metadata)
    }

    /// Builds the tokenizer from an open GGUF file's metadata.
    public convenience init(gguf file: GGUFFile) throws(TokenizerError) {
        try self.init(metadata: file.metadata)
    }

    /// Builds the tokenizer from GGUF metadata, checking everything it relies on.
    ///
    /// Required: `tokenizer.ggml.model` = `gpt2`, `tokenizer.ggml.pre` one of `PreTokenizer`'s
    /// values, `tokenizer.ggml.tokens`, `tokenizer.ggml.token_type` (one per token) and
    /// `tokenizer.ggml.merges`. Optional: `bos_token_id`, `eos_token_id` (must be in range when
    /// present) and `add_bos_token`. Every merge's symbols and result must be tokens, and every
    /// normal token must be written in GPT-2 byte characters; anything else throws.
    ///
    /// Token kinds are taken as stored. llama.cpp additionally promotes a few tokens to
    /// control by their text (`<|im_end|>`, `<|endoftext|>`, FIM markers...) when a converter
    /// left them normal; in the Qwen2.5 and SmolLM2 files they already are control.
    public convenience init(metadata: GGUFMetadata) throws(TokenizerError) {
        let reader = MetadataReader(metadata: metadata)
        let modelName = try reader.string(MetadataKey.model)
        guard modelName == "gpt2" else { throw .unsupportedModel(modelName) }
        let preName = try reader.string(MetadataKey.pre)
        guard let preTokenizer = PreTokenizer(rawValue: preName) else { throw .unsupportedPreTokenizer(preName) }

        let vocabulary = try Vocabulary(texts: try reader.stringArray(MetadataKey.tokens),
                                        rawKinds: try reader.intArray(MetadataKey.tokenTypes),
                                        kindsKey: MetadataKey.tokenTypes)
        let model = try Self.buildModel(merges: try reader.stringArray(MetadataKey.merges), vocabulary: vocabulary)
        let bos = try reader.optionalTokenID(MetadataKey.bosTokenID, vocabularySize: vocabulary.count)
        let eos = try reader.optionalTokenID(MetadataKey.eosTokenID, vocabularySize: vocabulary.count)
        let addsBOS = try reader.optionalBool(MetadataKey.addBOSToken) ?? false
        self.init(preTokenizer: preTokenizer, vocabulary: vocabulary, model: model,
                  bosTokenID: bos, eosTokenID: eos, addsBOS: addsBOS)
    }

    /// The merge table: each `"left right"` entry (split at the first space after the first
    /// byte, as llama.cpp does) ranked by its position; a repeated pair keeps its first rank.
    private static func buildModel(merges: [String], vocabulary: Vocabulary) throws(TokenizerError) -> BPEModel {
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            guard let space = merge.utf8.dropFirst().firstIndex(of: UInt8(ascii: " ")) else {
                throw .malformedMerge(rank: rank, text: merge)
            }
            let left = String(merge[..<space])
            let right = String(merge[merge.utf8.index(after: space)...])
            guard !right.isEmpty else { throw .malformedMerge(rank: rank, text: merge) }
            let merged = left + right
            guard let leftID = vocabulary.idForText[left] else {
                throw .mergeSymbolNotInVocabulary(rank: rank, merge: merge, symbol: left)
            }
            guard let rightID = vocabulary.idForText[right] else {
                throw .mergeSymbolNotInVocabulary(rank: rank, merge: merge, symbol: right)
            }
            guard let mergedID = vocabulary.idForText[merged] else {
                throw .mergeSymbolNotInVocabulary(rank: rank, merge: merge, symbol: merged)
            }
            let key = BPEModel.mergeKey(leftID, rightID)
            if table[key] == nil {
                table[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: mergedID))
            }
        }
        let byteTokens = ByteLevel.scalarForByte.map { scalar in
            vocabulary.idForText[String(Character(scalar))] ?? -1
        }
        return BPEModel(byteTokens: byteTokens, merges: table)
    }
}

/// Typed metadata access that turns `GGUFError` into `TokenizerError`.
private struct MetadataReader {
    let metadata: GGUFMetadata

    func string(_ key: String) throws(TokenizerError) -> String {
        do throws(GGUFError) { return try metadata.string(key) } catch { throw Self.converted(error) }
    }

    func stringArray(_ key: String) throws(TokenizerError) -> [String] {
        do throws(GGUFError) { return try metadata.stringArray(key) } catch { throw Self.converted(error) }
    }

    func intArray(_ key: String) throws(TokenizerError) -> [Int] {
        do throws(GGUFError) { return try metadata.intArray(key) } catch { throw Self.converted(error) }
    }

    func optionalBool(_ key: String) throws(TokenizerError) -> Bool? {
        guard metadata[key] != nil else { return nil }
        do throws(GGUFError) { return try metadata.bool(key) } catch { throw Self.converted(error) }
    }

    func optionalTokenID(_ key: String, vocabularySize: Int) throws(TokenizerError) -> TokenID? {
        guard metadata[key] != nil else { return nil }
        let id: Int
        do throws(GGUFError) { id = try metadata.int(key) } catch { throw Self.converted(error) }
        guard id >= 0, id < vocabularySize else {
            throw .specialTokenOutOfRange(key: key, id: id, vocabularySize: vocabularySize)
        }
        return TokenID(id)
    }

    private static func converted(_ error: GGUFError) -> TokenizerError {
        switch error {
        case .missingKey(let key): .missingKey(key)
        case .wrongValueType(let key, let expected, let found): .wrongValueType(key: key, expected: expected, found: found)
        default: .unreadableFile(error)
        }
    }
}
