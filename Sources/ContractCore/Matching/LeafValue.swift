/// A single value a rule is applied to: a JSON value from a body, or plain text from a
/// header, query parameter, path, XML attribute or XML text.
enum LeafValue {
    case json(JSONValue)
    case text(String)

    var text: String {
        switch self {
        case .json(let v): return v.matchText
        case .text(let s): return s
        }
    }

    var display: String {
        switch self {
        case .json(let v): return JSONWriter.compact(v)
        case .text(let s): return "'\(s)'"
        }
    }

    var typeName: String {
        switch self {
        case .json(let v): return v.typeName
        case .text: return "string"
        }
    }

    var isEmpty: Bool {
        switch self {
        case .json(.null): return true
        case .json(.string(let s)), .text(let s): return s.isEmpty
        case .json(.array(let a)): return a.isEmpty
        case .json(.object(let o)): return o.isEmpty
        default: return false
        }
    }
}

/// Applies one matching rule to one value and says why it fails (nil when it passes).
enum RuleCheck {
    static func check(_ rule: MatchingRule, expected: LeafValue, actual: LeafValue) -> String? {
        switch rule {
        case .equality:
            return equal(expected, actual) ? nil : "Expected \(actual.display) to be equal to \(expected.display)"
        case .regex(let pattern):
            if case .json(let v) = actual, !isScalar(v) {
                return "Expected \(actual.display) to match '\(pattern)' but it is \(v.typeName == "null" ? "null" : "a \(v.typeName)")"
            }
            return RegexCache.shared.matchesWhole(pattern, actual.text) ? nil : "Expected \(actual.display) to match '\(pattern)'"
        case .type, .minType, .maxType, .minMaxType, .values:
            return sameType(expected, actual) ? nil
                : "Expected \(actual.display) (\(actual.typeName)) to be the same type as \(expected.display) (\(expected.typeName))"
        case .include(let part):
            return actual.text.contains(part) ? nil : "Expected \(actual.display) to include '\(part)'"
        case .integer:
            switch actual {
            case .json(.integer): return nil
            case .text(let s) where RegexCache.shared.matchesWhole("[+-]?\\d+", s): return nil
            default: return "Expected \(actual.display) to be an integer"
            }
        case .decimal:
            switch actual {
            case .json(.decimal): return nil
            case .text(let s) where RegexCache.shared.matchesWhole("[+-]?\\d+\\.\\d+([eE][+-]?\\d+)?", s): return nil
            default: return "Expected \(actual.display) to be a decimal number"
            }
        case .number:
            switch actual {
            case .json(.integer), .json(.decimal): return nil
            case .text(let s) where Double(s) != nil: return nil
            default: return "Expected \(actual.display) to be a number"
            }
        case .null:
            if case .json(.null) = actual { return nil }
            return "Expected \(actual.display) to be null"
        case .boolean:
            switch actual {
            case .json(.bool): return nil
            case .text(let s) where s == "true" || s == "false": return nil
            default: return "Expected \(actual.display) to be a boolean"
            }
        case .timestamp(let format), .date(let format), .time(let format):
            guard isTextual(actual) else { return "Expected \(actual.display) to be a \(rule.name) string" }
            let text = actual.text
            let pattern = format ?? DateTimeFormat.defaultPattern(for: rule)
            do {
                let parsed = try DateTimeFormat.cached(pattern)
                return parsed.matches(text) ? nil : "Expected '\(text)' to be a \(rule.name) in the format '\(pattern)'"
            } catch {
                return "Invalid \(rule.name) format '\(pattern)': \(error)"
            }
        case .contentType(let expectedType):
            let bytes: [UInt8]
            switch actual {
            case .json(.string(let s)), .text(let s): bytes = Array(s.utf8)
            case .json(let v): bytes = Array(JSONWriter.compact(v).utf8)
            }
            return contentTypeMatches(expectedType, bytes) ? nil
                : "Expected content of type '\(expectedType)' but it looks like '\(ContentType.detect(bytes).essence)'"
        case .notEmpty:
            if actual.isEmpty { return "Expected \(actual.display) to be non-empty" }
            return nil
        case .semver:
            return RegexCache.shared.matchesWhole(semverPattern, actual.text) ? nil : "Expected \(actual.display) to be a semantic version (MAJOR.MINOR.PATCH)"
        case .statusCode(let codes):
            guard let status = Int(actual.text) else { return "Expected a status code, received \(actual.display)" }
            return codes.accepts(status) ? nil : "Expected a status of \(codes.name) but received \(status)"
        case .eachValue(let rules):
            return combine(rules, expected: expected, actual: actual)
        case .eachKey:
            return nil
        case .arrayContains:
            return "Expected an array for arrayContains but received \(actual.display)"
        }
    }

    /// Applies a rule list (AND/OR); nil when it passes, else the reasons joined.
    static func combine(_ list: RuleList, expected: LeafValue, actual: LeafValue) -> String? {
        let failures = list.rules.compactMap { check($0, expected: expected, actual: actual) }
        switch list.combine {
        case .and: return failures.isEmpty ? nil : failures.joined(separator: "; ")
        case .or: return failures.count < list.rules.count || list.rules.isEmpty ? nil : failures.joined(separator: " or ")
        }
    }

    static func equal(_ a: LeafValue, _ b: LeafValue) -> Bool {
        switch (a, b) {
        case let (.json(x), .json(y)): return x == y
        default: return a.text == b.text
        }
    }

    static func isScalar(_ v: JSONValue) -> Bool {
        switch v {
        case .string, .integer, .decimal, .bool: return true
        default: return false
        }
    }

    static func isTextual(_ v: LeafValue) -> Bool {
        switch v {
        case .text, .json(.string): return true
        default: return false
        }
    }

    static func sameType(_ a: LeafValue, _ b: LeafValue) -> Bool {
        switch (a, b) {
        case (.text, .text): return true
        default: return a.typeName == b.typeName
        }
    }

    static func contentTypeMatches(_ expected: String, _ bytes: [UInt8]) -> Bool {
        guard let wanted = ContentType(expected) else { return false }
        let detected = ContentType.detect(bytes)
        if detected.essence == wanted.essence { return true }
        // Text formats are hard to tell apart by sniffing: accept any textual type for a textual expectation.
        if wanted.isText && detected.isText && !(wanted.isJSON || wanted.isXML) { return true }
        return false
    }

    static let semverPattern = #"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"#
}
