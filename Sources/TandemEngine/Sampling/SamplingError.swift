/// A sampling parameter or stop condition that cannot be used, with the offending value.
public enum SamplingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `temperature` is negative, infinite or NaN.
    case temperatureOutOfRange(Float)
    /// `topK` is negative.
    case topKOutOfRange(Int)
    /// `topP` is outside (0, 1] or NaN.
    case topPOutOfRange(Float)
    /// `minP` is outside [0, 1] or NaN.
    case minPOutOfRange(Float)
    /// `repetitionPenalty` is zero, negative, infinite or NaN.
    case repetitionPenaltyOutOfRange(Float)
    /// `repetitionPenaltyWindow` is negative.
    case repetitionPenaltyWindowOutOfRange(Int)
    /// A stop string is empty (it would match before any text). `index` is its position in the list.
    case emptyStopString(index: Int)

    public var description: String {
        switch self {
        case .temperatureOutOfRange(let value):
            "temperature must be a finite number ≥ 0 (0 means greedy), got \(value)"
        case .topKOutOfRange(let value):
            "top-k must be ≥ 0 (0 turns it off), got \(value)"
        case .topPOutOfRange(let value):
            "top-p must be in (0, 1] (1 turns it off), got \(value)"
        case .minPOutOfRange(let value):
            "min-p must be in [0, 1] (0 turns it off), got \(value)"
        case .repetitionPenaltyOutOfRange(let value):
            "repetition penalty must be a finite number > 0 (1 turns it off), got \(value)"
        case .repetitionPenaltyWindowOutOfRange(let value):
            "repetition penalty window must be ≥ 0 tokens (0 turns the penalty off), got \(value)"
        case .emptyStopString(let index):
            "stop string \(index) is empty; an empty stop string would stop before any text"
        }
    }
}
