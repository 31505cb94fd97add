import Foundation
import LoadEngine
import Steps
import Synchronization

/// Live progress on stderr: an updating panel on a terminal, a plain line every 5 seconds
/// otherwise (CI logs), nothing with --quiet.
final class ProgressDisplay: Sendable {
    private let quiet: Bool
    private let terminal = isatty(STDERR_FILENO) == 1
    private let state = Mutex<(linesDrawn: Int, lastLine: Double)>((0, -5))

    init(quiet: Bool) { self.quiet = quiet }

    func started(profile: LoadProfile, target: TargetURL) {
        // Skipping certificate checks is said even with --quiet.
        if let line = profile.tls.consoleLine(for: target), !quiet || profile.tls.insecureSkipVerify { write(line + "\n") }
        guard !quiet else { return }
        write("tollgate load: \(profile.name) → \(target), \(DurationText.describe(profile.duration)) planned, \(profile.scenarios.count) scenario(s)\n")
    }

    func update(_ p: ProgressSnapshot) {
        guard !quiet else { return }
        let fraction = p.planned > 0 ? min(1, p.elapsed / p.planned) : 0
        let status = String(format: "%.0f/s (target %.0f/s)  p95 %.1f ms  errors %.2f %%  VUs %d  dropped %d  requests %d",
                            p.rate, p.targetRate, p.p95, p.errorRate * 100, p.activeVUs, p.dropped, p.requests)
        if terminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            var lines = ["  [" + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + "] "
                         + "\(DurationText.describe(p.elapsed)) / \(DurationText.describe(p.planned))"]
            lines += p.scenarios.map { "  " + $0 }
            lines.append("  " + status)
            let previous = state.withLock { s in defer { s.linesDrawn = lines.count }; return s.linesDrawn }
            var out = previous > 0 ? "\u{1B}[\(previous)A" : ""
            for line in lines { out += "\u{1B}[2K" + line + "\n" }
            write(out)
        } else {
            let due = state.withLock { s -> Bool in
                guard p.elapsed - s.lastLine >= 5 else { return false }
                s.lastLine = p.elapsed
                return true
            }
            if due { write(String(format: "[%5.0fs/%.0fs] ", p.elapsed, p.planned) + status + "\n") }
        }
    }

    /// Prints `line` on standard output while the panel may be drawn: on a terminal the panel is
    /// erased first and drawn again below the line at the next update.
    func interject(_ line: String) {
        if terminal, !quiet {
            let drawn = state.withLock { s in defer { s.linesDrawn = 0 }; return s.linesDrawn }
            if drawn > 0 { write("\u{1B}[\(drawn)A\u{1B}[0J") }
        }
        print(line)
    }

    func finish() {
        guard !quiet else { return }
        if terminal { write("\n") }
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
