import Foundation

/// A query string as named parameters with their values, in the order first seen.
public struct Query: Sendable, Equatable {
    public private(set) var parameters: [(name: String, values: [String])]
    /// The query string as written (v1 compares it pair by pair, in order).
    public var raw: String?

    public init(_ parameters: [(name: String, values: [String])] = [], raw: String? = nil) {
        self.parameters = parameters
        self.raw = raw
    }

    public var isEmpty: Bool { parameters.isEmpty }
    public var names: [String] { parameters.map(\.name) }

    public func values(_ name: String) -> [String]? { parameters.first { $0.name == name }?.values }

    public mutating func add(_ name: String, _ value: String) {
        if let i = parameters.firstIndex(where: { $0.name == name }) {
            parameters[i].values.append(value)
        } else {
            parameters.append((name, [value]))
        }
    }

    public static func == (lhs: Query, rhs: Query) -> Bool {
        lhs.parameters.map(\.name) == rhs.parameters.map(\.name) && lhs.parameters.map(\.values) == rhs.parameters.map(\.values)
    }

    /// Parses `a=1&b=2&a=3`, percent-decoding names and values (`+` is a space).
    public init(parsing text: String) {
        self.init(raw: text)
        for pair in Query.pairs(text) { add(pair.name, pair.value) }
    }

    /// The decoded name/value pairs in order; an empty segment (as after a trailing `&`) is kept.
    static func pairs(_ text: String) -> [(name: String, value: String)] {
        guard !text.isEmpty else { return [] }
        return text.split(separator: "&", omittingEmptySubsequences: false).map { segment in
            let part = String(segment)
            if let eq = part.firstIndex(of: "=") {
                return (decode(String(part[..<eq])), decode(String(part[part.index(after: eq)...])))
            }
            return (decode(part), "")
        }
    }

    static func decode(_ s: String) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// The query string for a URL.
    public var encoded: String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#")
        return parameters.flatMap { p in
            p.values.map { "\(p.name.addingPercentEncoding(withAllowedCharacters: allowed) ?? p.name)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" }
        }.joined(separator: "&")
    }

    /// Reads `"a=1&b=2"` (v1/v2) or `{"a": ["1"]}` (v3/v4).
    static func decode(_ json: JSONValue?, at path: String) throws -> Query? {
        guard let json, json != .null else { return nil }
        switch json {
        case .string(let s): return Query(parsing: s)
        case .object(let o):
            var query = Query()
            for (name, value) in o {
                switch value {
                case .array(let items):
                    if items.isEmpty { query.parameters.append((name, [])) }
                    for (n, item) in items.enumerated() {
                        guard item.stringValue != nil || item.doubleValue != nil else {
                            throw PactError(path: path + "['\(name)'][\(n)]", reason: "query values must be strings")
                        }
                        query.add(name, item.matchText)
                    }
                case .string, .integer, .decimal, .bool: query.add(name, value.matchText)
                default: throw PactError(path: path + "['\(name)']", reason: "a query parameter must be a string or a list of strings")
                }
            }
            return query
        default:
            throw PactError(path: path, reason: "query must be a string or an object of lists")
        }
    }

    func encoded(version: SpecVersion) -> JSONValue {
        if version < .v3 { return .string(raw ?? encoded) }
        return .object(JSONObject(parameters.map { ($0.name, .array($0.values.map { .string($0) })) }))
    }
}
