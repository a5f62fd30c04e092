/// `POST /tandem/v1/sessions`: open a session, optionally with the context so far.
public struct CreateSessionRequest: Codable, Sendable, Equatable {
    /// If present, must equal `TandemAPI.version`.
    public var protocolVersion: Int?
    /// Tokens the session starts with (prompt so far); the cloud prefills them lazily, with
    /// the session's first verify or generate.
    public var context: [Int32]
    public var sampling: SamplingOptions

    public init(protocolVersion: Int? = TandemAPI.version, context: [Int32] = [], sampling: SamplingOptions = .greedy) {
        self.protocolVersion = protocolVersion
        self.context = context
        self.sampling = sampling
    }

    enum CodingKeys: String, CodingKey {
        case context, sampling
        case protocolVersion = "protocol_version"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        protocolVersion = try c.decodeIfPresent(Int.self, forKey: .protocolVersion)
        context = try c.decodeIfPresent([Int32].self, forKey: .context) ?? []
        sampling = try c.decodeIfPresent(SamplingOptions.self, forKey: .sampling) ?? .greedy
    }
}

/// The new session.
public struct CreateSessionResponse: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    /// Opaque; names the session in later paths.
    public var sessionID: String
    /// Tokens the cloud holds for the session (the request's context).
    public var contextLength: Int
    /// Most tokens a session's context may reach.
    public var maxContextLength: Int
    public var vocabularySize: Int
    public var model: String
    /// Most tokens one verification runs in a single engine pass: the context the session
    /// has not seen, its last held token run again for the first row, and the draft. A device
    /// syncs one less than this so a sync costs one pass. Absent: the cloud does not say.
    public var mergeLimit: Int?

    public init(protocolVersion: Int = TandemAPI.version, sessionID: String, contextLength: Int,
                maxContextLength: Int, vocabularySize: Int, model: String, mergeLimit: Int? = nil) {
        self.protocolVersion = protocolVersion
        self.sessionID = sessionID
        self.contextLength = contextLength
        self.maxContextLength = maxContextLength
        self.vocabularySize = vocabularySize
        self.model = model
        self.mergeLimit = mergeLimit
    }

    enum CodingKeys: String, CodingKey {
        case model
        case protocolVersion = "protocol_version"
        case sessionID = "session_id"
        case contextLength = "context_length"
        case maxContextLength = "max_context_length"
        case vocabularySize = "vocabulary_size"
        case mergeLimit = "merge_limit"
    }
}

/// `DELETE /tandem/v1/sessions/{id}`.
public struct CloseSessionResponse: Codable, Sendable, Equatable {
    public var sessionID: String
    public var closed: Bool

    public init(sessionID: String, closed: Bool = true) {
        self.sessionID = sessionID
        self.closed = closed
    }

    enum CodingKeys: String, CodingKey {
        case closed
        case sessionID = "session_id"
    }
}
