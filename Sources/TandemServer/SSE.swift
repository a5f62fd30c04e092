import Hummingbird

/// Server-sent events: `data: JSON\n\n` frames, ending with `data: [DONE]`.
enum SSE {
    static func frame(_ value: JSONValue) -> ByteBuffer { ByteBuffer(string: "data: " + value.serialized() + "\n\n") }
    static let done = ByteBuffer(string: "data: [DONE]\n\n")

    static var headers: HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return headers
    }
}
