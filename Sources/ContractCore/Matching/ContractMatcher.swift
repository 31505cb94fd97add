import Foundation
/// Matches actual requests, responses and messages against a contract's expectations,
/// following the Pact specification of the given version.
public enum ContractMatcher {
    /// Compares a received request with the expected one (unexpected body keys are mismatches).
    public static func match(expected: HTTPRequest, actual: HTTPRequest, version: SpecVersion = .v4) -> MatchResult {
        var mismatches: [Mismatch] = []
        if let rules = expected.matchingRules.method {
            if let reason = RuleCheck.combine(rules, expected: .text(expected.method), actual: .text(actual.method)) {
                mismatches.append(Mismatch(kind: .method, path: "method", expected: expected.method, actual: actual.method, message: reason))
            }
        } else if expected.method.uppercased() != actual.method.uppercased() {
            mismatches.append(Mismatch(kind: .method, path: "method", expected: expected.method.uppercased(), actual: actual.method.uppercased(),
                                       message: "Expected method \(expected.method.uppercased()) but received \(actual.method.uppercased())"))
        }
        mismatches += matchPath(expected, actual)
        mismatches += QueryMatcher.match(expected: expected.query, actual: actual.query, rules: expected.matchingRules, version: version)
        mismatches += HeaderMatcher.match(expected: expected.headers, actual: actual.headers, rules: expected.matchingRules)
        mismatches += BodyMatcher.match(expected: expected.body, expectedType: expected.contentType,
                                        actual: actual.body, actualType: actual.contentType,
                                        rules: expected.matchingRules.body, allowUnexpectedKeys: false)
        return MatchResult(mismatches: mismatches)
    }

    /// Compares a received response with the expected one (extra body keys are allowed).
    public static func match(expected: HTTPResponse, actual: HTTPResponse, version: SpecVersion = .v4) -> MatchResult {
        var mismatches: [Mismatch] = []
        if let rules = expected.matchingRules.status {
            if let reason = RuleCheck.combine(rules, expected: .text(String(expected.status)), actual: .text(String(actual.status))) {
                mismatches.append(Mismatch(kind: .status, path: "status", expected: String(expected.status), actual: String(actual.status), message: reason))
            }
        } else if expected.status != actual.status {
            mismatches.append(Mismatch(kind: .status, path: "status", expected: String(expected.status), actual: String(actual.status),
                                       message: "Expected status \(expected.status) but received \(actual.status)"))
        }
        mismatches += HeaderMatcher.match(expected: expected.headers, actual: actual.headers, rules: expected.matchingRules)
        mismatches += BodyMatcher.match(expected: expected.body, expectedType: expected.contentType,
                                        actual: actual.body, actualType: actual.contentType,
                                        rules: expected.matchingRules.body, allowUnexpectedKeys: true)
        return MatchResult(mismatches: mismatches)
    }

    /// Compares a received message (event) with the expected one: contents and metadata.
    public static func match(expected: Message, actual: Message, version: SpecVersion = .v4) -> MatchResult {
        var mismatches = BodyMatcher.match(expected: expected.contents, expectedType: expected.contentType,
                                           actual: actual.contents, actualType: actual.contentType,
                                           rules: expected.matchingRules.body, allowUnexpectedKeys: true)
        mismatches += MetadataMatcher.match(expected: expected.metadata, actual: actual.metadata, rules: expected.matchingRules)
        return MatchResult(mismatches: mismatches)
    }

    static func matchPath(_ expected: HTTPRequest, _ actual: HTTPRequest) -> [Mismatch] {
        if let rules = expected.matchingRules.path {
            if let reason = RuleCheck.combine(rules, expected: .text(expected.path), actual: .text(actual.path)) {
                return [Mismatch(kind: .path, path: "path", expected: expected.path, actual: actual.path, message: reason)]
            }
        } else if expected.path != actual.path {
            return [Mismatch(kind: .path, path: "path", expected: expected.path, actual: actual.path,
                             message: "Expected path '\(expected.path)' but received '\(actual.path)'")]
        }
        return []
    }
}

/// Header comparison: names are case-insensitive, values are split on commas and compared in
/// order; `Content-Type` and `Accept` compare media types with their parameters.
enum HeaderMatcher {
    static let parameterised: Set<String> = ["content-type", "accept"]

    static func match(expected: Headers, actual: Headers, rules: MatchingRules) -> [Mismatch] {
        var mismatches: [Mismatch] = []
        for name in expected.names {
            let expectedValue = expected[name] ?? ""
            let place = "header '\(name)'"
            guard let actualValue = actual[name] else {
                mismatches.append(Mismatch(kind: .header, path: place, expected: expectedValue, actual: nil,
                                           message: "Expected header '\(name)' but it was missing"))
                continue
            }
            if let list = rules.header(name) {
                let expectedValues = expected.values(name), actualValues = actual.values(name)
                let pairs = actualValues.count == expectedValues.count && actualValues.count > 1
                    ? Array(zip(expectedValues, actualValues)) : [(expectedValue, actualValue)]
                for (e, a) in pairs {
                    if let reason = RuleCheck.combine(list, expected: .text(e), actual: .text(a)) {
                        mismatches.append(Mismatch(kind: .header, path: place, expected: e, actual: a, message: "Header '\(name)': \(reason)"))
                    }
                }
            } else if parameterised.contains(name.lowercased()) {
                if !mediaTypesMatch(expectedValue, actualValue) {
                    mismatches.append(Mismatch(kind: .header, path: place, expected: expectedValue, actual: actualValue,
                                               message: "Expected header '\(name)' to have value '\(expectedValue)' but was '\(actualValue)'"))
                }
            } else if split(expectedValue) != split(actualValue) {
                mismatches.append(Mismatch(kind: .header, path: place, expected: expectedValue, actual: actualValue,
                                           message: "Expected header '\(name)' to have value '\(expectedValue)' but was '\(actualValue)'"))
            }
        }
        return mismatches
    }

    static func split(_ value: String) -> [String] {
        value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Media types equal (case-insensitive) and every expected parameter present with the same value.
    static func mediaTypesMatch(_ expected: String, _ actual: String) -> Bool {
        let expectedTypes = split(expected), actualTypes = split(actual)
        guard expectedTypes.count == actualTypes.count else { return false }
        for (e, a) in zip(expectedTypes, actualTypes) {
            guard let et = ContentType(e), let at = ContentType(a) else {
                if e != a { return false }
                continue
            }
            guard et.essence == at.essence else { return false }
            for parameter in et.parameters {
                guard let value = at.parameter(parameter.name) else { return false }
                let equal = parameter.name == "charset" ? value.lowercased() == parameter.value.lowercased() : value == parameter.value
                if !equal { return false }
            }
        }
        return true
    }
}

/// Query comparison: every expected parameter with the same values in the same order,
/// no unexpected parameters. Spec v1 compares the raw pairs in order.
enum QueryMatcher {
    static func match(expected: Query?, actual: Query?, rules: MatchingRules, version: SpecVersion) -> [Mismatch] {
        let expected = expected ?? Query(), actual = actual ?? Query()
        if version == .v1, let e = expected.raw, let a = actual.raw {
            let ep = Query.pairs(e), ap = Query.pairs(a)
            if ep.map(\.name) != ap.map(\.name) || ep.map(\.value) != ap.map(\.value) {
                return [Mismatch(kind: .query, path: "query", expected: e, actual: a, message: "Expected query '\(e)' but received '\(a)'")]
            }
            return []
        }
        var mismatches: [Mismatch] = []
        for (name, expectedValues) in expected.parameters {
            let place = "query '\(name)'"
            guard let actualValues = actual.values(name) else {
                mismatches.append(Mismatch(kind: .query, path: place, expected: expectedValues.joined(separator: ","), actual: nil,
                                           message: "Expected query parameter '\(name)' but it was missing"))
                continue
            }
            if let list = rules.query(name) {
                for rule in list.rules {
                    let problem: String?
                    switch rule {
                    case .minType(let min) where actualValues.count < min: problem = "at least \(min) value(s)"
                    case .maxType(let max) where actualValues.count > max: problem = "at most \(max) value(s)"
                    case .minMaxType(let min, let max) where actualValues.count < min || actualValues.count > max: problem = "\(min)...\(max) value(s)"
                    default: problem = nil
                    }
                    if let problem {
                        mismatches.append(Mismatch(kind: .query, path: place, expected: expectedValues.joined(separator: ","), actual: actualValues.joined(separator: ","),
                                                   message: "Expected query parameter '\(name)' to have \(problem) but it has \(actualValues.count)"))
                    }
                }
                for (i, value) in actualValues.enumerated() {
                    let example = i < expectedValues.count ? expectedValues[i] : expectedValues.first ?? ""
                    if let reason = RuleCheck.combine(list, expected: .text(example), actual: .text(value)) {
                        mismatches.append(Mismatch(kind: .query, path: place, expected: example, actual: value, message: "Query parameter '\(name)': \(reason)"))
                    }
                }
            } else if expectedValues != actualValues {
                mismatches.append(Mismatch(kind: .query, path: place, expected: expectedValues.joined(separator: ","), actual: actualValues.joined(separator: ","),
                                           message: "Expected query parameter '\(name)' = \(list(expectedValues)) but received \(list(actualValues))"))
            }
        }
        for name in actual.names where expected.values(name) == nil {
            if name.isEmpty { continue }
            let values = actual.values(name) ?? []
            mismatches.append(Mismatch(kind: .query, path: "query '\(name)'", expected: nil, actual: values.joined(separator: ","),
                                       message: "Unexpected query parameter '\(name)' = \(list(values))"))
        }
        return mismatches
    }

    private static func list(_ values: [String]) -> String { "[" + values.map { "'\($0)'" }.joined(separator: ", ") + "]" }
}

/// Message metadata: every expected key present and equal (or matching its rules).
enum MetadataMatcher {
    static func match(expected: JSONObject, actual: JSONObject, rules: MatchingRules) -> [Mismatch] {
        var mismatches: [Mismatch] = []
        for (key, value) in expected {
            let place = "metadata '\(key)'"
            let isContentType = ["contenttype", "content-type"].contains(key.lowercased())
            guard let actualValue = actual[key] ?? (isContentType ? actual["contentType"] ?? actual["content-type"] ?? actual["Content-Type"] : nil) else {
                if isContentType { continue }
                mismatches.append(Mismatch(kind: .metadata, path: place, expected: value.matchText, actual: nil,
                                           message: "Expected message metadata '\(key)' but it was missing"))
                continue
            }
            if let list = rules.metadata(key) {
                if let reason = RuleCheck.combine(list, expected: .json(value), actual: .json(actualValue)) {
                    mismatches.append(Mismatch(kind: .metadata, path: place, expected: value.matchText, actual: actualValue.matchText, message: "Metadata '\(key)': \(reason)"))
                }
            } else if isContentType ? !HeaderMatcher.mediaTypesMatch(value.matchText, actualValue.matchText) : value.matchText != actualValue.matchText {
                mismatches.append(Mismatch(kind: .metadata, path: place, expected: value.matchText, actual: actualValue.matchText,
                                           message: "Expected metadata '\(key)' = '\(value.matchText)' but received '\(actualValue.matchText)'"))
            }
        }
        return mismatches
    }
}
