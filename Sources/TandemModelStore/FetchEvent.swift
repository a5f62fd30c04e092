/// What a fetch reports while it runs, for progress bars and logs.
public enum FetchEvent: Sendable {
    /// A source is being tried.
    case started(model: String, source: String, totalBytes: Int64?)
    /// Bytes of the model file written so far from the current source.
    case progress(model: String, completedBytes: Int64, totalBytes: Int64?)
    /// The source failed; the store moves on to the next one. `reason` is one line.
    case sourceFailed(model: String, source: String, reason: String)
    /// The file passed its checks and is in place.
    case finished(model: String, path: String)
}

public typealias FetchObserver = @Sendable (FetchEvent) -> Void
