public import Foundation

/// Compiled regular expressions, shared across matches (compiling dominates otherwise).
public final class RegexCache: @unchecked Sendable {
    // Safe: `compiled` and `invalid` are only touched under `lock`; compiled expressions are immutable.
    public static let shared = RegexCache()
    /// Longer patterns are refused: pacts come from outside, and a pattern's cost grows with it.
    static let maximumPatternLength = 4_096
    private let lock = NSLock()
    private var compiled: [String: NSRegularExpression] = [:]
    private var invalid: Set<String> = []

    public func regex(_ pattern: String) -> NSRegularExpression? {
        lock.lock()
        defer { lock.unlock() }
        if let hit = compiled[pattern] { return hit }
        if invalid.contains(pattern) { return nil }
        // A little slack for the anchors `matchesWhole` wraps around a pattern.
        guard pattern.utf8.count <= Self.maximumPatternLength + 16, let regex = try? NSRegularExpression(pattern: pattern) else {
            invalid.insert(pattern)
            return nil
        }
        compiled[pattern] = regex
        return regex
    }

    /// Whether `pattern` is found anywhere in `text` (as the Pact reference implementation matches).
    public func contains(_ pattern: String, in text: String) -> Bool {
        guard let regex = regex(pattern) else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Whether the whole of `text` matches `pattern`.
    public func matchesWhole(_ pattern: String, _ text: String) -> Bool {
        contains("^(?:" + pattern + ")$", in: text)
    }
}
