import Foundation
/// Produces a string that matches a (simple) regular expression, for Regex generators:
/// literals, escapes (\d \w \s), classes ([a-z0-9_]), groups with alternatives, and the
/// quantifiers ? * + {n} {n,m}. Returns nil for what it does not understand, and for a pattern
/// whose repetitions would make a string longer than `maximumLength`.
public enum RegexSampler {
    /// The longest string a sample may be (a pact's `{1000000000}` is refused, not built).
    static let maximumLength = 65_536

    static func sample(_ pattern: String) -> String? {
        sample(pattern, random: SampleRandom(seed: nil))
    }

    /// `count` strings that match `pattern`, the same ones for the same seed; empty when the
    /// pattern is beyond the sampler. Each is checked against the pattern itself.
    public static func samples(_ pattern: String, count: Int, seed: UInt64) -> [String] {
        let random = SampleRandom(seed: seed)
        var found: [String] = []
        for _ in 0..<count {
            guard let sample = sample(pattern, random: random) else { return [] }
            if RegexCache.shared.matchesWhole(pattern, sample), !found.contains(sample) { found.append(sample) }
        }
        return found
    }

    private static func sample(_ pattern: String, random: SampleRandom) -> String? {
        var chars = Array(pattern)
        if chars.first == "^" { chars.removeFirst() }
        if chars.last == "$", chars.count < 2 || chars[chars.count - 2] != "\\" { chars.removeLast() }
        var index = 0
        guard let result = alternatives(chars, &index, random), index == chars.count else { return nil }
        return result
    }

    private static func alternatives(_ c: [Character], _ i: inout Int, _ random: SampleRandom) -> String? {
        var options: [String] = []
        var current = ""
        while i < c.count, c[i] != ")" {
            if c[i] == "|" { options.append(current); current = ""; i += 1; continue }
            guard let atom = atom(c, &i, random) else { return nil }
            let (low, high) = quantifier(c, &i)
            guard low >= 0, high >= low, high <= maximumLength else { return nil }
            let count = low == high ? low : random.int(in: low...high)
            for _ in 0..<count {
                guard let piece = atom(), current.utf8.count + piece.utf8.count <= maximumLength else { return nil }
                current += piece
            }
        }
        options.append(current)
        return random.element(options)
    }

    /// An atom as a function, so each repetition draws afresh.
    private static func atom(_ c: [Character], _ i: inout Int, _ random: SampleRandom) -> (() -> String?)? {
        let ch = c[i]
        switch ch {
        case "(":
            i += 1
            if i + 1 < c.count, c[i] == "?", c[i + 1] == ":" { i += 2 }
            let start = i
            var probe = i
            guard alternatives(c, &probe, random) != nil, probe < c.count, c[probe] == ")" else { return nil }
            i = probe + 1
            let inner = Array(c[start..<probe])
            return { var j = 0; return alternatives(inner, &j, random) }
        case "[":
            i += 1
            var negate = false
            if i < c.count, c[i] == "^" { negate = true; i += 1 }
            var set: [Character] = []
            while i < c.count, c[i] != "]" {
                var item = c[i]
                if item == "\\", i + 1 < c.count {
                    i += 1
                    set += escapeSet(c[i]) ?? [c[i]]
                    i += 1
                    continue
                }
                if i + 2 < c.count, c[i + 1] == "-", c[i + 2] != "]" {
                    let upper = c[i + 2]
                    guard let a = item.unicodeScalars.first?.value, let b = upper.unicodeScalars.first?.value, a <= b else { return nil }
                    set += (a...b).compactMap { Unicode.Scalar($0).map(Character.init) }
                    i += 3
                    continue
                }
                set.append(item)
                item = " "
                i += 1
            }
            guard i < c.count else { return nil }
            i += 1
            if negate {
                let printable = (0x21...0x7E).compactMap { Unicode.Scalar($0).map(Character.init) }.filter { !set.contains($0) }
                return { random.element(printable).map(String.init) }
            }
            return { random.element(set).map(String.init) }
        case "\\":
            guard i + 1 < c.count else { return nil }
            let e = c[i + 1]
            i += 2
            if let set = escapeSet(e) { return { random.element(set).map(String.init) } }
            return { String(e) }
        case ".":
            i += 1
            return { random.element(Array("abcdefghijklmnopqrstuvwxyz0123456789")).map(String.init) }
        case "*", "+", "?", "{", "|", ")":
            return nil
        default:
            i += 1
            return { String(ch) }
        }
    }

    private static func escapeSet(_ e: Character) -> [Character]? {
        switch e {
        case "d": return Array("0123456789")
        case "w": return Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
        case "s": return [" "]
        default: return nil
        }
    }

    private static func quantifier(_ c: [Character], _ i: inout Int) -> (Int, Int) {
        guard i < c.count else { return (1, 1) }
        switch c[i] {
        case "?": i += 1; return (0, 1)
        case "*": i += 1; return (0, 3)
        case "+": i += 1; return (1, 4)
        case "{":
            var j = i + 1
            var text = ""
            while j < c.count, c[j] != "}" { text.append(c[j]); j += 1 }
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard j < c.count, let low = parts.first ?? nil else { return (1, 1) }
            i = j + 1
            if parts.count == 1 { return (low, low) }
            return (low, (parts[1] ?? low + 3))
        default: return (1, 1)
        }
    }
}

/// Where a sampler's choices come from: the system's generator, or SplitMix64 from a seed, so a
/// check that samples a pattern finds the same strings every run.
final class SampleRandom {
    private var state: UInt64?

    init(seed: UInt64?) { state = seed }

    func int(in range: ClosedRange<Int>) -> Int {
        guard var next = state else { return Int.random(in: range) }
        next &+= 0x9E37_79B9_7F4A_7C15
        state = next
        var z = next
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return range.lowerBound + Int(z % UInt64(range.count))
    }

    func element<T>(_ items: [T]) -> T? {
        items.isEmpty ? nil : items[int(in: 0...(items.count - 1))]
    }
}
