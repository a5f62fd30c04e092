/// The Tandem device-cloud protocol: its version and HTTP paths (see docs/PROTOCOL.md).
///
/// Every message is JSON with snake_case keys. Token ids are `Int32` (the shared vocabulary's
/// indices). The version is part of every path, so a server can serve several versions side by
/// side; a request's body may also carry `protocol_version`, which must then equal `version`.
public enum TandemAPI {
    /// The protocol version this module describes.
    public static let version = 1
    /// The path prefix of every route of this version.
    public static let prefix = "/tandem/v1"
    /// `POST`: create a session (`CreateSessionRequest` → `CreateSessionResponse`).
    public static let sessionsPath = prefix + "/sessions"

    /// `GET`: the cloud's scheduling policy; `PUT {"policy": "fcfs" | "verify-aware"}` changes it
    /// (for load comparisons; behind the API key like every route).
    public static let schedulerPath = prefix + "/scheduler"

    /// `POST`: verify a draft chunk (`VerifyRequest` → `VerifyResponse`).
    public static func verifyPath(session: String) -> String { "\(sessionsPath)/\(session)/verify" }
    /// `POST`: the cloud writes tokens (`SessionGenerateRequest` → `SessionGenerateResponse`).
    public static func generatePath(session: String) -> String { "\(sessionsPath)/\(session)/generate" }
    /// `DELETE`: close a session (→ `CloseSessionResponse`).
    public static func sessionPath(session: String) -> String { "\(sessionsPath)/\(session)" }

    /// Longest a queued verification (`VerifyRequest.queue`) waits for its session before it
    /// is answered as if it had not waited.
    public static let queueWaitSeconds: Double = 30

    /// Most top tokens a position may ask for (`top_k`).
    public static let maxTopK = 20
}
