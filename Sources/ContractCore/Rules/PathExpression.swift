/// One step of a place in a document: a key or an array index.
public enum PathSegment: Sendable, Hashable {
    case field(String)
    case index(Int)

    var text: String {
        switch self {
        case .field(let name): return name
        case .index(let i): return String(i)
        }
    }
}

/// A concrete place in a body, e.g. `$.items[0].price`.
public struct DocumentPath: Sendable, Hashable, CustomStringConvertible {
    public private(set) var segments: [PathSegment]

    public static let root = DocumentPath(segments: [])

    public init(segments: [PathSegment]) { self.segments = segments }

    public func appending(_ segment: PathSegment) -> DocumentPath {
        var copy = self
        copy.segments.append(segment)
        return copy
    }

    public func appending(field: String) -> DocumentPath { appending(.field(field)) }
    public func appending(index: Int) -> DocumentPath { appending(.index(index)) }

    /// Number of tokens including the root `$`.
    var length: Int { segments.count + 1 }

    public var description: String {
        var out = "$"
        for segment in segments {
            switch segment {
            case .index(let i): out += "[\(i)]"
            case .field(let name):
                if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "@" || $0 == "#" || $0 == ":" }) {
                    out += "." + name
                } else {
                    out += "['" + name + "']"
                }
            }
        }
        return out
    }
}

/// A matching-rule path expression such as `$.items[*].price` or `$.people.*['@id']`.
public struct PathExpression: Sendable, Hashable, CustomStringConvertible {
    public enum Token: Sendable, Hashable {
        case root
        case field(String)
        case index(Int)
        case star
        case starIndex
    }

    public let text: String
    public let tokens: [Token]

    public var description: String { text }

    /// Parses an expression; the text must start with `$` (a bare name is taken as `$.name`).
    public init(_ text: String) throws {
        self.text = text
        self.tokens = try PathExpression.tokenize(text)
    }

    static func tokenize(_ text: String) throws -> [Token] {
        let chars = Array(text)
        var tokens: [Token] = [.root]
        var i = 0
        if chars.first == "$" {
            i = 1
        } else if !chars.isEmpty {
            // A bare name such as "Accept" or "alligator.name".
            return try tokenize("$." + text)
        }
        func fail(_ reason: String) -> PathExpressionError { PathExpressionError(expression: text, reason: reason) }
        while i < chars.count {
            switch chars[i] {
            case ".":
                i += 1
                guard i < chars.count else { throw fail("expected a name after '.'") }
                if chars[i] == "*" {
                    tokens.append(.star)
                    i += 1
                } else {
                    var name = ""
                    while i < chars.count, chars[i] != ".", chars[i] != "[" { name.append(chars[i]); i += 1 }
                    guard !name.isEmpty else { throw fail("empty name") }
                    tokens.append(.field(name))
                }
            case "[":
                i += 1
                guard i < chars.count else { throw fail("unterminated '['") }
                if chars[i] == "*" {
                    i += 1
                    guard i < chars.count, chars[i] == "]" else { throw fail("expected ']' after '[*'") }
                    tokens.append(.starIndex)
                    i += 1
                } else if chars[i] == "'" || chars[i] == "\"" {
                    let quote = chars[i]
                    i += 1
                    var name = ""
                    while i < chars.count, chars[i] != quote { name.append(chars[i]); i += 1 }
                    guard i + 1 < chars.count, chars[i + 1] == "]" else { throw fail("unterminated quoted name") }
                    i += 2
                    tokens.append(.field(name))
                } else {
                    var digits = ""
                    while i < chars.count, chars[i].isNumber { digits.append(chars[i]); i += 1 }
                    guard let index = Int(digits), i < chars.count, chars[i] == "]" else {
                        throw fail("expected an index, '*' or a quoted name inside '[...]'")
                    }
                    tokens.append(.index(index))
                    i += 1
                }
            case "*":
                tokens.append(.star)
                i += 1
            default:
                throw fail("unexpected character '\(chars[i])' at position \(i)")
            }
        }
        return tokens
    }

    /// How well this expression matches `path` or one of its parents (0 = not at all).
    /// Exact names weigh 2, wildcards 1; the weights multiply.
    func weight(for path: DocumentPath) -> Int {
        guard tokens.count <= path.length else { return 0 }
        var weight = 1
        for (n, token) in tokens.enumerated() {
            if n == 0 {
                guard token == .root else { return 0 }
                weight *= 2
                continue
            }
            let segment = path.segments[n - 1]
            switch (token, segment) {
            case (.field(let name), .field(let actual)): weight *= name == actual ? 2 : 0
            case (.field(let name), .index(let actual)): weight *= name == String(actual) ? 2 : 0
            case (.index(let index), .index(let actual)): weight *= index == actual ? 2 : 0
            case (.index(let index), .field(let actual)): weight *= String(index) == actual ? 2 : 0
            case (.star, _): weight *= 1
            case (.starIndex, .index): weight *= 1
            case (.starIndex, .field(let actual)): weight *= Int(actual) != nil ? 1 : 0
            case (.root, _): return 0
            }
            if weight == 0 { return 0 }
        }
        return weight
    }
}

/// A path expression that could not be read.
public struct PathExpressionError: Error, Sendable, CustomStringConvertible {
    public let expression: String
    public let reason: String
    public var description: String { "invalid path expression '\(expression)': \(reason)" }
}
