/// HTTP headers in the order written; names compare case-insensitively.
public struct Headers: Sendable, Equatable, Sequence {
    public private(set) var entries: [(name: String, value: String)]

    public init(_ entries: [(name: String, value: String)] = []) { self.entries = entries }

    public var isEmpty: Bool { entries.isEmpty }

    /// All values of `name`, in order.
    public func values(_ name: String) -> [String] {
        let lower = name.lowercased()
        return entries.filter { $0.name.lowercased() == lower }.map(\.value)
    }

    /// The values of `name` joined with ", ", as HTTP folds repeated headers.
    public subscript(name: String) -> String? {
        let all = values(name)
        return all.isEmpty ? nil : all.joined(separator: ", ")
    }

    public mutating func add(_ name: String, _ value: String) { entries.append((name, value)) }

    public mutating func set(_ name: String, _ value: String) {
        let lower = name.lowercased()
        entries.removeAll { $0.name.lowercased() == lower }
        entries.append((name, value))
    }

    /// Distinct header names, first spelling wins.
    public var names: [String] {
        var seen = Set<String>()
        return entries.compactMap { seen.insert($0.name.lowercased()).inserted ? $0.name : nil }
    }

    public var contentType: ContentType? { self["Content-Type"].flatMap(ContentType.init) }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { entries.makeIterator() }

    public static func == (lhs: Headers, rhs: Headers) -> Bool {
        lhs.entries.map(\.name) == rhs.entries.map(\.name) && lhs.entries.map(\.value) == rhs.entries.map(\.value)
    }

    /// Reads `{"Name": "value"}` or (v4) `{"Name": ["v1", "v2"]}`.
    /// Whether `text` holds a CR, LF or NUL, which no header sent on the wire may carry (the
    /// model keeps them: the specification's cases compare folded header values).
    public static func breaksLine(_ text: String) -> Bool { text.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 } }

    static func decode(_ json: JSONValue?, at path: String) throws -> Headers {
        guard let json, json != .null else { return Headers() }
        guard case .object(let o) = json else { throw PactError(path: path, reason: "headers must be an object") }
        var headers = Headers()
        for (name, value) in o {
            switch value {
            case .string(let s): headers.add(name, s)
            case .array(let items):
                for (n, item) in items.enumerated() {
                    guard let s = item.stringValue else { throw PactError(path: path + "['\(name)'][\(n)]", reason: "header values must be strings") }
                    headers.add(name, s)
                }
            case .integer, .decimal, .bool: headers.add(name, value.matchText)
            default: throw PactError(path: path + "['\(name)']", reason: "header value must be a string or a list of strings")
            }
        }
        return headers
    }

    func encoded(version: SpecVersion) -> JSONValue {
        var o = JSONObject()
        for name in names {
            let all = values(name)
            o[name] = version >= .v4 && all.count > 1 ? .array(all.map { .string($0) }) : .string(all.joined(separator: ", "))
        }
        return .object(o)
    }
}
