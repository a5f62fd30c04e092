/// HTTP settings of `TandemServer`.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 = any free port (the bound one is passed to `onRunning`).
    public var port: Int
    /// Accepted Bearer keys; empty = no authentication.
    public var apiKeys: [String]
    /// Largest request body accepted (413 beyond).
    public var maxBodyBytes: Int

    public init(host: String = "127.0.0.1", port: Int = 8080, apiKeys: [String] = [], maxBodyBytes: Int = 4 << 20) {
        self.host = host
        self.port = port
        self.apiKeys = apiKeys
        self.maxBodyBytes = maxBodyBytes
    }
}
