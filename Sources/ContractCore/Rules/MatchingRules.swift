/// Body (or message content/metadata) rules keyed by path expression.
public struct BodyRules: Sendable, Equatable {
    public var entries: [(expression: PathExpression, rules: RuleList)]

    public init(_ entries: [(expression: PathExpression, rules: RuleList)] = []) { self.entries = entries }

    public var isEmpty: Bool { entries.isEmpty }

    public static func == (lhs: BodyRules, rhs: BodyRules) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.expression == $1.expression && $0.rules == $1.rules }
    }

    /// The rules that apply at `path`: the best-weighted expression matching the path or a parent.
    /// `cascaded` is true when the rule was written for a parent and only inherited here.
    public func best(for path: DocumentPath) -> (rules: RuleList, cascaded: Bool)? {
        var best: (score: Int, rules: RuleList, length: Int)?
        for entry in entries {
            let weight = entry.expression.weight(for: path)
            guard weight > 0 else { continue }
            let score = weight * entry.expression.tokens.count
            if best == nil || score >= best!.score {
                best = (score, entry.rules, entry.expression.tokens.count)
            }
        }
        guard let best else { return nil }
        return (best.rules, best.length != path.length)
    }

    /// Whether some rule applies at `path` (directly or inherited from a parent).
    public func isDefined(at path: DocumentPath) -> Bool {
        entries.contains { $0.expression.weight(for: path) > 0 }
    }

    mutating func add(_ expression: PathExpression, _ rules: RuleList) {
        if let i = entries.firstIndex(where: { $0.expression == expression }) {
            entries[i].rules.rules += rules.rules
        } else {
            entries.append((expression, rules))
        }
    }
}

/// All the matching rules of one request, response or message, by category.
public struct MatchingRules: Sendable, Equatable {
    public var method: RuleList?
    public var path: RuleList?
    public var status: RuleList?
    /// Header rules keyed by header name (compared case-insensitively).
    public var headers: [(name: String, rules: RuleList)] = []
    /// Query rules keyed by parameter name.
    public var query: [(name: String, rules: RuleList)] = []
    public var body = BodyRules()
    public var metadata: [(name: String, rules: RuleList)] = []

    public init() {}

    public var isEmpty: Bool {
        method == nil && path == nil && status == nil && headers.isEmpty && query.isEmpty && body.isEmpty && metadata.isEmpty
    }

    public func header(_ name: String) -> RuleList? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.rules
    }

    public func query(_ name: String) -> RuleList? {
        query.first { $0.name == name }?.rules
    }

    public func metadata(_ name: String) -> RuleList? {
        metadata.first { $0.name == name }?.rules
    }

    public static func == (lhs: MatchingRules, rhs: MatchingRules) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.status == rhs.status && lhs.body == rhs.body
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.rules) == rhs.headers.map(\.rules)
            && lhs.query.map(\.name) == rhs.query.map(\.name) && lhs.query.map(\.rules) == rhs.query.map(\.rules)
            && lhs.metadata.map(\.name) == rhs.metadata.map(\.name) && lhs.metadata.map(\.rules) == rhs.metadata.map(\.rules)
    }
}
