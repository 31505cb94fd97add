package import ContractCore
import Foundation
package import LoadMetrics

/// A response as checks and captures see it.
package struct StepResponse: Sendable {
    package var status: Int
    /// Header names in lower case.
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]
    /// Seconds from sending the request to the end of the response.
    package var latency: Double

    package init(status: Int, headers: [(name: String, value: String)], body: [UInt8], latency: Double) {
        self.status = status
        self.headers = headers
        self.body = body
        self.latency = latency
    }

    package func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }
}

/// What a step's checks and captures made of a response.
package struct StepOutcome: Sendable {
    package struct CheckResult: Sendable {
        package let description: String
        package let passed: Bool
        /// Why it failed: what was found.
        package let detail: String?
    }

    package var checks: [CheckResult] = []
    /// Set when the request counts as failed.
    package var error: ErrorClass?
    /// A line describing the failure, for the report's examples.
    package var errorDetail: String?

    package init(checks: [CheckResult] = [], error: ErrorClass? = nil, errorDetail: String? = nil) {
        self.checks = checks
        self.error = error
        self.errorDetail = errorDetail
    }
}

extension Step {
    /// Runs the checks on `response` and stores the captures in `scope`.
    package func evaluate(_ response: StepResponse, scope: inout RenderScope) -> StepOutcome {
        var outcome = StepOutcome()
        if checks.isEmpty && captures.isEmpty {
            if response.status >= 400 {
                outcome.error = response.status >= 500 ? .status5xx : .status4xx
                outcome.errorDetail = "\(name): status \(response.status): \(String(decoding: response.body.prefix(200), as: UTF8.self))"
            }
            return outcome
        }
        var document: JSONValue?? = nil
        func json() -> JSONValue? {
            if let parsed = document { return parsed }
            let parsed = try? JSONParser.parse(response.body)
            document = .some(parsed)
            return parsed
        }
        var statusChecked = false
        for check in checks {
            let (passed, detail) = check.evaluate(response, json: json, scope: &scope)
            if case .status = check.kind { statusChecked = true }
            outcome.checks.append(.init(description: check.description, passed: passed, detail: passed ? nil : detail))
        }
        for capture in captures {
            switch capture.source {
            case .json(let path): if let document = json(), let value = JSONQuery.first(path, in: document) { scope.variables[capture.variable] = value }
            case .header(let name): if let value = response.header(name) { scope.variables[capture.variable] = .string(value) }
            case .status: scope.variables[capture.variable] = .integer(Int64(response.status))
            }
        }
        if let failed = outcome.checks.first(where: { !$0.passed }) {
            outcome.error = .checkFailed
            outcome.errorDetail = "\(name): check '\(failed.description)' failed: \(failed.detail ?? "")"
        } else if !statusChecked && response.status >= 400 {
            outcome.error = response.status >= 500 ? .status5xx : .status4xx
            outcome.errorDetail = "\(name): status \(response.status): \(String(decoding: response.body.prefix(200), as: UTF8.self))"
        }
        return outcome
    }
}

extension Check {
    func evaluate(_ response: StepResponse, json: () -> JSONValue?, scope: inout RenderScope) -> (Bool, String) {
        switch kind {
        case .status(let codes):
            return (codes.contains(response.status), "status \(response.status)")
        case .latency(let limit):
            return (response.latency <= limit, String(format: "took %.1f ms", response.latency * 1000))
        case .json(let path, let expectation):
            guard let document = json() else { return (false, "the body is not JSON") }
            return Self.expect(expectation, JSONQuery.first(path, in: document), scope: &scope)
        case .header(let name, let expectation):
            return Self.expect(expectation, response.header(name).map(JSONValue.string), scope: &scope)
        }
    }

    static func expect(_ expectation: Expectation, _ found: JSONValue?, scope: inout RenderScope) -> (Bool, String) {
        let shown = found.map { JSONWriter.compact($0) } ?? "nothing"
        switch expectation {
        case .exists(let wanted): return ((found != nil) == wanted, "found \(shown)")
        case .equals(let template):
            let expected = template.render(&scope)
            guard let found else { return (false, "found nothing") }
            if found == expected { return (true, "") }
            if let a = found.doubleValue, let b = expected.doubleValue, a == b { return (true, "") }
            return (false, "found \(shown), expected \(JSONWriter.compact(expected))")
        case .below(let template), .above(let template):
            let limit = template.render(&scope)
            guard let value = found?.doubleValue, let bound = limit.doubleValue else {
                return (false, "found \(shown), expected a number compared with \(JSONWriter.compact(limit))")
            }
            if case .below = expectation { return (value < bound, "found \(shown), expected below \(JSONWriter.compact(limit))") }
            return (value > bound, "found \(shown), expected above \(JSONWriter.compact(limit))")
        case .matches(let regex):
            guard let found else { return (false, "found nothing") }
            let text = found.matchText
            return (regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil, "found \(shown)")
        }
    }
}

/// Reads the first value a JSON path expression selects (`$.items[0].id`, `$.items[*].id`).
package enum JSONQuery {
    package static func first(_ path: PathExpression, in document: JSONValue) -> JSONValue? {
        var current: [JSONValue] = [document]
        for token in path.tokens {
            var next: [JSONValue] = []
            for value in current {
                switch token {
                case .root: next.append(value)
                case .field(let name): if let found = value[name] { next.append(found) }
                case .index(let index): if let items = value.arrayValue, index < items.count { next.append(items[index]) }
                case .star:
                    if let object = value.objectValue { next += object.map(\.value) } else if let items = value.arrayValue { next += items }
                case .starIndex: if let items = value.arrayValue { next += items }
                }
            }
            current = next
            if current.isEmpty { return nil }
        }
        return current.first
    }
}
