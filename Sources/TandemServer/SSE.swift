import Hummingbird

/// Server-sent events: `data: JSON\n\n` frames, ending with `data: [DONE]`.
enum SSE {
    static func frame(_ value: JSONValue) -> ByteBuffer { ByteBuffer(string: "data: " + value.serialized() + "\n\n") }
    static let done = ByteBuffer(string: "data: [DONE]\n\n")

    /// The last frames of a stream: the chunk with the finish reason, the usage chunk (when
    /// `stream_options.include_usage` asked for it: no choices, just usage), `[DONE]`.
    static func end(_ writer: inout any ResponseBodyWriter, final: JSONValue, usage: JSONValue?) async throws {
        try await writer.write(frame(final))
        if let usage { try await writer.write(frame(usage)) }
        try await writer.write(done)
        try await writer.finish(nil)
    }

    static var headers: HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return headers
    }
}
