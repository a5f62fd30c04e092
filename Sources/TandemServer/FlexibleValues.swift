/// `prompt` of `/v1/completions`: text, token ids, or a one-element list of either.
enum PromptInput: Decodable, Equatable {
    case text(String)
    case tokens([Int32])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) { self = .text(text); return }
        if let ids = try? c.decode([Int32].self) { self = .tokens(ids); return }
        if let texts = try? c.decode([String].self) {
            guard texts.count == 1 else { throw PromptInput.onePrompt(c) }
            self = .text(texts[0])
            return
        }
        if let lists = try? c.decode([[Int32]].self) {
            guard lists.count == 1 else { throw PromptInput.onePrompt(c) }
            self = .tokens(lists[0])
            return
        }
        throw DecodingError.dataCorruptedError(in: c, debugDescription:
            "prompt must be a string or a list of token ids (each a 32-bit integer)")
    }

    private static func onePrompt(_ c: any SingleValueDecodingContainer) -> DecodingError {
        DecodingError.dataCorruptedError(in: c, debugDescription: "one prompt per request is supported")
    }
}

/// `stop`: a string or a list of up to 4 strings.
struct StopStrings: Decodable, Equatable {
    var strings: [String]

    init(strings: [String]) { self.strings = strings }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { strings = []; return }
        if let one = try? c.decode(String.self) { strings = [one] } else { strings = try c.decode([String].self) }
        guard strings.count <= 4 else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "at most 4 stop strings") }
        guard !strings.contains("") else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "a stop string is empty") }
    }
}

/// Chat message `content`: a string or a list of `{"type": "text", "text": …}` parts.
struct MessageContent: Decodable, Equatable {
    var text: String

    private struct Part: Decodable {
        var type: String
        var text: String?
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) { self.text = text; return }
        let parts = try c.decode([Part].self)
        guard parts.allSatisfy({ $0.type == "text" && $0.text != nil }) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "only text content parts are supported")
        }
        text = parts.compactMap(\.text).joined()
    }
}

/// `stream_options`.
struct StreamOptions: Decodable, Equatable {
    var includeUsage: Bool?

    enum CodingKeys: String, CodingKey {
        case includeUsage = "include_usage"
    }
}
