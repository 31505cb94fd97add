@testable import ContractCore

/// Matches `actual` against `expected` with the given v3 body rules (`path: rule JSON`).
func matchBody(_ expected: JSONValue, _ actual: JSONValue, rules: [String: JSONValue] = [:], request: Bool = false) throws -> [Mismatch] {
    var bodyRules = BodyRules()
    for (path, rule) in rules.sorted(by: { $0.key < $1.key }) {
        bodyRules.add(try PathExpression(path), try RuleDecoder.ruleList(rule, at: path))
    }
    return JSONBodyMatcher.match(expected: expected, actual: actual, rules: bodyRules, allowUnexpectedKeys: !request)
}

func rule(_ json: JSONValue) throws -> MatchingRule {
    try RuleDecoder.rule(json, at: "$")
}
