import Foundation
/// Durations as profiles and flags write them: `250ms`, `30s`, `5m`, `1h`, `1m30s`, `1.5s`, `500us`.
package enum DurationText {
    /// The longest duration anything takes: 366 days.
    package static let maximum = 366.0 * 86_400

    /// Seconds, or nil when `text` is not a duration of at most `maximum`. A bare number is seconds.
    package static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        if let bare = Double(trimmed) { return bare.isFinite && bare >= 0 && bare <= maximum ? bare : nil }
        var total = 0.0
        var rest = Substring(trimmed)
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard !digits.isEmpty, let number = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isLetter || $0 == "µ" }
            rest = rest.dropFirst(unit.count)
            let factors: [Substring: Double] = ["us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600]
            guard let factor = factors[unit] else { return nil }
            total += number * factor
        }
        return total.isFinite && total <= maximum ? total : nil
    }

    /// `1m30s`, `250ms`, `2.5s`: for summaries.
    package static func describe(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds < 60 { return seconds == seconds.rounded() ? "\(Int(seconds))s" : String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        let (h, m, s) = (whole / 3600, whole % 3600 / 60, whole % 60)
        return (h > 0 ? "\(h)h" : "") + (m > 0 ? "\(m)m" : "") + (s > 0 ? "\(s)s" : "")
    }
}
