import Foundation
import Synchronization

/// A one-line progress bar on stderr: `label [#####-----]  45%  220/491 MB  40.1 MB/s  ETA 7s`.
///
/// On a terminal it redraws in place at most 10 times a second; otherwise (CI logs) it prints
/// a line at every 10% step. Thread-safe: `update` may be called from any thread.
public final class ProgressBar: Sendable {
    private struct State {
        var label: String
        var total: Int64?
        var completed: Int64 = 0
        var started = Date()
        var lastDraw = Date.distantPast
        var lastDecile = -1
        var visible = false
    }

    private let state: Mutex<State>
    private let unit: Unit
    private let interactive = isatty(STDERR_FILENO) == 1

    public enum Unit: Sendable { case bytes, items }

    public init(label: String, total: Int64?, unit: Unit = .bytes) {
        state = Mutex(State(label: label, total: total))
        self.unit = unit
    }

    /// Starts over with a new label and total (e.g. when the next source is tried).
    public func reset(label: String, total: Int64?) {
        state.withLock { state in
            if state.visible && interactive { FileHandle.standardError.write(Data("\n".utf8)) }
            state = State(label: label, total: total)
        }
    }

    public func update(completed: Int64, total: Int64? = nil) {
        state.withLock { state in
            state.completed = completed
            if let total { state.total = total }
            let now = Date()
            if interactive {
                guard now.timeIntervalSince(state.lastDraw) >= 0.1 else { return }
                state.lastDraw = now
                state.visible = true
                FileHandle.standardError.write(Data(("\r" + render(state, now: now) + "\u{1B}[K").utf8))
            } else if let total = state.total, total > 0 {
                let decile = Int(completed * 10 / total)
                guard decile > state.lastDecile else { return }
                state.lastDecile = decile
                FileHandle.standardError.write(Data((render(state, now: now) + "\n").utf8))
            }
        }
    }

    /// Draws the final state and ends the line.
    public func finish() {
        state.withLock { state in
            if interactive {
                FileHandle.standardError.write(Data(("\r" + render(state, now: Date()) + "\u{1B}[K\n").utf8))
            }
            state.visible = false
        }
    }

    private func render(_ state: State, now: Date) -> String {
        let elapsed = max(now.timeIntervalSince(state.started), 1e-3)
        let rate = Double(state.completed) / elapsed
        var line = state.label
        if let total = state.total, total > 0 {
            let fraction = min(1, Double(state.completed) / Double(total))
            let width = 24
            let filled = Int(fraction * Double(width))
            line += " [" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
            line += String(format: " %3d%%  %@/%@", Int(fraction * 100), format(state.completed), format(total))
            if rate > 0 && state.completed < total {
                line += "  " + formatRate(rate) + "  ETA " + formatDuration(Double(total - state.completed) / rate)
            }
        } else {
            line += "  " + format(state.completed) + "  " + formatRate(rate)
        }
        return line
    }

    private func format(_ value: Int64) -> String {
        switch unit {
        case .items: return String(value)
        case .bytes: return value >= 1 << 30 ? String(format: "%.2f GB", Double(value) / 1e9) : String(format: "%.0f MB", Double(value) / 1e6)
        }
    }

    private func formatRate(_ rate: Double) -> String {
        unit == .bytes ? String(format: "%.1f MB/s", rate / 1e6) : String(format: "%.1f/s", rate)
    }
}

/// `1h02m`, `3m05s`, `7s`.
func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let total = Int(seconds.rounded())
    if total >= 3600 { return String(format: "%dh%02dm", total / 3600, total % 3600 / 60) }
    if total >= 60 { return String(format: "%dm%02ds", total / 60, total % 60) }
    return "\(total)s"
}
