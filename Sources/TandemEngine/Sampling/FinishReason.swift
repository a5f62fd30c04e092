/// Why a generation ended. Encoded as its case name (`"stop"`, `"stopString"`, ...).
public enum FinishReason: String, Sendable, Codable, Hashable, CaseIterable {
    /// The model produced a stop token (end of generation such as `<|im_end|>`). The stop
    /// token itself is neither emitted as text nor counted as generated output text.
    case stop
    /// The text reached one of the stop strings; the text before it was emitted, the stop
    /// string and anything after it were not.
    case stopString
    /// The requested maximum number of new tokens was generated.
    case length
    /// The sequence filled the model's context (KV cache) before any other reason applied.
    case contextFull
    /// The consumer cancelled (the task was cancelled or the stream terminated).
    case cancelled
}
