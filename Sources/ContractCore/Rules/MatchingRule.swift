/// One matching rule, as the Pact specification (v2–v4) defines them.
public indirect enum MatchingRule: Sendable, Equatable {
    case equality
    case regex(String)
    case type
    case minType(Int)
    case maxType(Int)
    case minMaxType(Int, Int)
    case include(String)
    case integer
    case decimal
    case number
    case null
    case boolean
    /// A date-time; the format is a Java `DateTimeFormatter` pattern, nil for ISO 8601.
    case timestamp(String?)
    case date(String?)
    case time(String?)
    case contentType(String)
    /// Map values are matched by the rules below it, keys are ignored.
    case values
    case arrayContains([ArrayContainsVariant])
    case eachKey(RuleList)
    case eachValue(RuleList)
    case statusCode(StatusCodeRule)
    case notEmpty
    case semver

    /// The `match` name the rule has in a pact file.
    public var name: String {
        switch self {
        case .equality: return "equality"
        case .regex: return "regex"
        case .type, .minType, .maxType, .minMaxType: return "type"
        case .include: return "include"
        case .integer: return "integer"
        case .decimal: return "decimal"
        case .number: return "number"
        case .null: return "null"
        case .boolean: return "boolean"
        case .timestamp: return "timestamp"
        case .date: return "date"
        case .time: return "time"
        case .contentType: return "contentType"
        case .values: return "values"
        case .arrayContains: return "arrayContains"
        case .eachKey: return "eachKey"
        case .eachValue: return "eachValue"
        case .statusCode: return "statusCode"
        case .notEmpty: return "notEmpty"
        case .semver: return "semver"
        }
    }

    /// Rules that compare collections element by element against the first expected element.
    var isTypeLike: Bool {
        switch self {
        case .type, .minType, .maxType, .minMaxType, .values, .eachValue, .notEmpty,
             .integer, .decimal, .number, .boolean, .timestamp, .date, .time, .include, .regex, .semver, .null,
             .contentType:
            return true
        default: return false
        }
    }
}

/// One variant of an `arrayContains` rule: the expected element at `index` must match
/// some element of the actual array, using the variant's own rules.
public struct ArrayContainsVariant: Sendable, Equatable {
    public var index: Int
    public var rules: BodyRules
    public var generators: JSONValue?

    public init(index: Int, rules: BodyRules, generators: JSONValue? = nil) {
        self.index = index
        self.rules = rules
        self.generators = generators
    }
}

/// What a `statusCode` rule accepts: a class of statuses or an explicit list.
public enum StatusCodeRule: Sendable, Equatable {
    case information, success, redirect, clientError, serverError, nonError, error
    case codes([Int])

    public init?(name: String) {
        switch name {
        case "info", "information": self = .information
        case "success": self = .success
        case "redirect": self = .redirect
        case "clientError": self = .clientError
        case "serverError": self = .serverError
        case "nonError": self = .nonError
        case "error": self = .error
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .information: return "info"
        case .success: return "success"
        case .redirect: return "redirect"
        case .clientError: return "clientError"
        case .serverError: return "serverError"
        case .nonError: return "nonError"
        case .error: return "error"
        case .codes(let codes): return codes.map(String.init).joined(separator: ", ")
        }
    }

    public func accepts(_ status: Int) -> Bool {
        switch self {
        case .information: return (100..<200).contains(status)
        case .success: return (200..<300).contains(status)
        case .redirect: return (300..<400).contains(status)
        case .clientError: return (400..<500).contains(status)
        case .serverError: return (500..<600).contains(status)
        case .nonError: return status < 400
        case .error: return status >= 400
        case .codes(let codes): return codes.contains(status)
        }
    }
}

/// Rules that apply together at one place, combined with AND (all must pass) or OR (one must).
public struct RuleList: Sendable, Equatable {
    public enum Combine: String, Sendable { case and = "AND", or = "OR" }
    public var rules: [MatchingRule]
    public var combine: Combine

    public init(_ rules: [MatchingRule], combine: Combine = .and) {
        self.rules = rules
        self.combine = combine
    }

    var hasTypeLikeRule: Bool { rules.contains { $0.isTypeLike } }
}
