import Foundation
/// One sample of a Prometheus text exposition: `name{label="value",…} 42`.
package struct PrometheusSample: Sendable, Equatable {
    package var name: String
    package var labels: [String: String]
    package var value: Double

    package init(name: String, labels: [String: String], value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }
}

/// Reads the Prometheus text format (version 0.0.4): comments and malformed lines are skipped,
/// label values are unescaped (`\"`, `\\`, `\n`).
package enum PrometheusText {
    package static func samples(_ text: String) -> [PrometheusSample] {
        text.split(separator: "\n").compactMap { sample(Substring($0)) }
    }

    static func sample(_ line: Substring) -> PrometheusSample? {
        let line = line.drop { $0 == " " }
        guard let first = line.first, first != "#" else { return nil }
        guard let nameEnd = line.firstIndex(where: { $0 == "{" || $0 == " " }) else { return nil }
        let name = String(line[..<nameEnd])
        var labels: [String: String] = [:]
        var rest = line[nameEnd...]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while true {
                rest = rest.drop { $0 == " " || $0 == "," }
                if rest.first == "}" { rest = rest.dropFirst(); break }
                guard let equals = rest.firstIndex(of: "=") else { return nil }
                let key = String(rest[..<equals].filter { $0 != " " })
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { return nil }
                rest = rest.dropFirst()
                var value = ""
                var escaped = false
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(character == "n" ? "\n" : character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { return nil }
                labels[key] = value
            }
        }
        let fields = rest.split(separator: " ", omittingEmptySubsequences: true)
        guard let text = fields.first, let value = Double(text) else { return nil }
        return PrometheusSample(name: name, labels: labels, value: value)
    }
}

/// One label matcher of a counter selection, as PromQL writes them: `route!="/metrics"`,
/// `status=~"2.."` — a regex is anchored (it matches the whole value) and at most 256 bytes.
package struct LabelMatcher: Sendable, Equatable {
    package enum Operator: String, Sendable, CaseIterable { case equal = "=", notEqual = "!=", matches = "=~", notMatches = "!~" }
    package let label: String
    package let op: Operator
    package let value: String
    /// `value` anchored, compiled once when read (not for every sample it is matched against).
    private let regex: NSRegularExpression?

    init(label: String, op: Operator, value: String, regex: NSRegularExpression?) {
        self.label = label
        self.op = op
        self.value = value
        self.regex = regex
    }

    package static func == (a: LabelMatcher, b: LabelMatcher) -> Bool { a.label == b.label && a.op == b.op && a.value == b.value }

    package static let maximumPattern = 256

    /// Reads `route!="/metrics"`; nil (with why) when it is not one matcher.
    package static func parse(_ text: String) -> Result<LabelMatcher, MatcherProblem> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let start = trimmed.firstIndex(where: { "=!".contains($0) }) else { return .failure(MatcherProblem("'\(trimmed)' has no =, !=, =~ or !~")) }
        let label = String(trimmed[..<start]).trimmingCharacters(in: .whitespaces)
        let rest = trimmed[start...]
        guard let op = [Operator.notMatches, .matches, .notEqual, .equal].first(where: { rest.hasPrefix($0.rawValue) }) else {
            return .failure(MatcherProblem("'\(trimmed)': the operator is one of =, !=, =~, !~"))
        }
        var value = rest.dropFirst(op.rawValue.count).trimmingCharacters(in: .whitespaces)
        guard !label.isEmpty, label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            return .failure(MatcherProblem("'\(trimmed)': '\(label)' is not a label name"))
        }
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return .failure(MatcherProblem("'\(trimmed)': quote the value (\"…\")")) }
        value = String(value.dropFirst().dropLast())
        var regex: NSRegularExpression?
        if op == .matches || op == .notMatches {
            regex = value.utf8.count <= maximumPattern ? try? NSRegularExpression(pattern: "^(?:\(value))$") : nil
            guard regex != nil else { return .failure(MatcherProblem("'\(trimmed)': not a regular expression of at most \(maximumPattern) bytes")) }
        }
        return .success(LabelMatcher(label: label, op: op, value: value, regex: regex))
    }

    /// Whether a series with these labels is selected (a missing label reads as "").
    package func matches(_ labels: [String: String]) -> Bool {
        let actual = labels[label] ?? ""
        switch op {
        case .equal: return actual == value
        case .notEqual: return actual != value
        case .matches, .notMatches:
            let whole = regex?.firstMatch(in: actual, range: NSRange(actual.startIndex..., in: actual)) != nil
            return op == .matches ? whole : !whole
        }
    }

    package var description: String { "\(label)\(op.rawValue)\"\(value)\"" }
}

package struct MatcherProblem: Error, Sendable {
    package let reason: String
    package init(_ reason: String) { self.reason = reason }
}

/// The share of a counter's increments that were errors, between two scrapes: which series
/// count (`counter` with `labels`), and which of them are errors (a label whose value starts
/// with a prefix, e.g. `status` starting with `5`).
package struct CounterErrorRate: Sendable, Equatable {
    package var counter: String
    package var labels: [String: String]
    package var errorLabel: String
    package var errorPrefix: String
    /// `selector:` matchers (`=`, `!=`, `=~`, `!~`), all of which a counted series meets, with `labels`.
    package var matchers: [LabelMatcher] = []

    package init(counter: String, labels: [String: String], errorLabel: String, errorPrefix: String, matchers: [LabelMatcher] = []) {
        self.counter = counter
        self.labels = labels
        self.errorLabel = errorLabel
        self.errorPrefix = errorPrefix
        self.matchers = matchers
    }

    /// Which increments are errors, as a gate file writes it: `status=5xx`, `outcome=fail…`.
    package var errorSelection: String {
        let numeric = !errorPrefix.isEmpty && errorPrefix.allSatisfy(\.isNumber) && errorPrefix.count < 3
        return "\(errorLabel)=" + (numeric ? errorPrefix.padding(toLength: 3, withPad: "x", startingAt: 0) : errorPrefix + "…")
    }

    /// Matching increments and error increments in one scrape.
    package func totals(_ samples: [PrometheusSample]) -> (total: Double, errors: Double) {
        var total = 0.0, errors = 0.0
        for sample in samples where sample.name == counter && labels.allSatisfy({ sample.labels[$0.key] == $0.value })
            && matchers.allSatisfy({ $0.matches(sample.labels) }) {
            total += sample.value
            if sample.labels[errorLabel]?.hasPrefix(errorPrefix) == true { errors += sample.value }
        }
        return (total, errors)
    }

    /// What happened between two scrapes: requests counted, errors among them, and their
    /// share in percent (0 with no requests). A counter that went down (a restart) counts from 0.
    package func delta(before: [PrometheusSample], after: [PrometheusSample]) -> (total: Double, errors: Double, percent: Double) {
        let start = totals(before), end = totals(after)
        let total = end.total >= start.total ? end.total - start.total : end.total
        let errors = end.errors >= start.errors ? end.errors - start.errors : end.errors
        return (total, errors, total > 0 ? errors / total * 100 : 0)
    }
}
