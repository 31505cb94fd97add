import Foundation
import Synchronization

/// A Java `DateTimeFormatter`-style pattern (`yyyy-MM-dd'T'HH:mm:ss.SSSXXX`), as Pact's
/// timestamp, date and time matchers use, compiled to a validator.
struct DateTimeFormat: Sendable {
    let pattern: String
    private let regex: NSRegularExpression
    /// Capture-group index of each checked field.
    private let fields: [(field: Character, group: Int)]

    struct FormatError: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    init(_ pattern: String) throws {
        self.pattern = pattern
        var regex = "^"
        var fields: [(Character, Int)] = []
        var group = 0
        let chars = Array(pattern)
        var i = 0
        func capture(_ body: String, _ field: Character) {
            group += 1
            regex += "(" + body + ")"
            fields.append((field, group))
        }
        while i < chars.count {
            let c = chars[i]
            if c == "'" {
                // Quoted literal; '' is a single quote.
                if i + 1 < chars.count, chars[i + 1] == "'" { regex += "'"; i += 2; continue }
                var literal = ""
                i += 1
                while i < chars.count {
                    if chars[i] == "'" {
                        if i + 1 < chars.count, chars[i + 1] == "'" { literal.append("'"); i += 2; continue }
                        break
                    }
                    literal.append(chars[i])
                    i += 1
                }
                guard i < chars.count else { throw FormatError(reason: "unterminated quote in '\(pattern)'") }
                regex += NSRegularExpression.escapedPattern(for: literal)
                i += 1
                continue
            }
            if c == "[" || c == "]" {
                // Optional sections.
                regex += c == "[" ? "(?:" : ")?"
                i += 1
                continue
            }
            guard c.isLetter, c.isASCII else {
                regex += NSRegularExpression.escapedPattern(for: String(c))
                i += 1
                continue
            }
            var count = 1
            while i + count < chars.count, chars[i + count] == c { count += 1 }
            i += count
            switch c {
            case "y", "u", "Y":
                if count == 2 { capture("\\d{2}", "y") } else { capture("[+-]?\\d{\(max(count, 1)),9}", "y") }
            case "M", "L":
                switch count {
                case 1: capture("1[0-2]|0?[1-9]", "M")
                case 2: capture("0[1-9]|1[0-2]", "M")
                case 3: regex += "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
                default: regex += "(?:January|February|March|April|May|June|July|August|September|October|November|December)"
                }
            case "d": capture(count == 1 ? "3[01]|[12]\\d|0?[1-9]" : "0[1-9]|[12]\\d|3[01]", "d")
            case "D": regex += count == 1 ? "\\d{1,3}" : "\\d{\(count),3}"
            case "H", "k": capture(count == 1 ? "2[0-4]|1\\d|0?\\d" : "[01]\\d|2[0-4]", c)
            case "h", "K": capture(count == 1 ? "1[0-2]|0?\\d" : "0\\d|1[0-2]", c)
            case "m": capture(count == 1 ? "[0-5]?\\d" : "[0-5]\\d", "m")
            case "s": capture(count == 1 ? "[0-5]?\\d|60" : "[0-5]\\d|60", "s")
            case "S": regex += "\\d{\(count)}"
            case "n": regex += "\\d{1,9}"
            case "N": regex += "\\d+"
            case "A": regex += "\\d+"
            case "a": regex += "(?:AM|PM|am|pm)"
            case "E", "e", "c":
                if count <= 2 && c != "E" { regex += "\\d{1,2}" } else if count <= 3 {
                    regex += "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
                } else {
                    regex += "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
                }
            case "G": regex += "(?:AD|BC|Anno Domini|Before Christ|A|B)"
            case "Q", "q": regex += count <= 2 ? "0?[1-4]" : "(?:Q[1-4]|[1-4](?:st|nd|rd|th) quarter)"
            case "w", "W", "F": regex += "\\d{1,2}"
            case "z": regex += "(?:[A-Z]{2,5}|[A-Za-z]+(?:/[A-Za-z_]+)+|(?:GMT|UTC)(?:[+-]\\d{1,2}(?::\\d{2})?)?)"
            case "V": regex += "(?:[A-Za-z]+(?:/[A-Za-z_]+)+|Z|UTC|GMT)"
            case "O": regex += "(?:GMT(?:[+-]\\d{1,2}(?::\\d{2})?)?)"
            case "Z":
                switch count {
                case 1...3: regex += "[+-]\\d{4}"
                case 4: regex += "(?:GMT(?:[+-]\\d{2}:\\d{2})?)"
                default: regex += "(?:Z|[+-]\\d{2}:\\d{2})"
                }
            case "X", "x":
                let utc = c == "X" ? "Z|" : ""
                switch count {
                case 1: regex += "(?:\(utc)[+-]\\d{2}(?:\\d{2})?)"
                case 2: regex += "(?:\(utc)[+-]\\d{4})"
                case 3: regex += "(?:\(utc)[+-]\\d{2}:\\d{2})"
                case 4: regex += "(?:\(utc)[+-]\\d{4}(?:\\d{2})?)"
                default: regex += "(?:\(utc)[+-]\\d{2}:\\d{2}(?::\\d{2})?)"
                }
            default:
                throw FormatError(reason: "unknown pattern letter '\(c)' in '\(pattern)'")
            }
        }
        regex += "$"
        do { self.regex = try NSRegularExpression(pattern: regex) } catch {
            throw FormatError(reason: "cannot compile '\(pattern)'")
        }
        self.fields = fields
    }

    /// Whether `text` is a date/time written in this format, with valid field values.
    func matches(_ text: String) -> Bool {
        let range = NSRange(text.startIndex..., in: text)
        guard let match = regex.firstMatch(in: text, range: range) else { return false }
        var year: Int?, month: Int?, day: Int?
        for (field, group) in fields {
            let r = match.range(at: group)
            guard r.location != NSNotFound, let swiftRange = Range(r, in: text), let value = Int(text[swiftRange].replacingOccurrences(of: "+", with: "")) else { continue }
            switch field {
            case "y": year = value
            case "M": month = value
            case "d": day = value
            default: break
            }
        }
        if let month, let day {
            let days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
            if day > days { return false }
            if month == 2, day == 29, let year, !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) { return false }
        }
        return true
    }

    /// ISO 8601 defaults used when a rule has no format.
    static func defaultPattern(for rule: MatchingRule) -> String {
        switch rule {
        case .date: return "yyyy-MM-dd"
        case .time: return "HH:mm[:ss[.SSS]][XXX]"
        default: return "yyyy-MM-dd'T'HH:mm:ss[.SSS][.SSSSSS][.SS][.S][XXX]"
        }
    }

    private static let cache = Mutex<[String: DateTimeFormat]>([:])

    static func cached(_ pattern: String) throws -> DateTimeFormat {
        if let hit = cache.withLock({ $0[pattern] }) { return hit }
        let format = try DateTimeFormat(pattern)
        cache.withLock { $0[pattern] = format }
        return format
    }
}
