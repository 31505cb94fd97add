/// One way an actual request, response or message differs from the contract.
/// Returned as values (never thrown), so callers can collect and render them.
public struct Mismatch: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case method, path, query, header, status, body, bodyType, metadata
    }

    public var kind: Kind
    /// Where: `$.items[0].price`, `header 'Content-Type'`, `query 'page'`, `method`, `path`, `status`.
    public var path: String
    public var expected: String?
    public var actual: String?
    /// Why, in words a person can act on.
    public var message: String
    /// The place in the other document the contract was checked against, when there is one
    /// (an OpenAPI document: `#/paths/~1orders/post/responses/201/…`).
    public var documentPath: String?

    public init(kind: Kind, path: String, expected: String?, actual: String?, message: String, documentPath: String? = nil) {
        self.kind = kind
        self.path = path
        self.expected = expected
        self.actual = actual
        self.message = message
        self.documentPath = documentPath
    }

    public var description: String { "\(Self.quoted(path))\(documentPath.map { " ↔ \($0)" } ?? ""): \(Self.quoted(message))" }

    /// `{"kind", "path", "expected", "actual", "message"}`, as every JSON output of Tollgate writes a mismatch.
    /// Values are quoted up to `quoteLimit` characters, so a huge body cannot make a huge report.
    /// With `document_path` when the mismatch has one.
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [("kind", .string(kind.rawValue)), ("path", .string(Self.quoted(path)))]
        if let documentPath { fields.append(("document_path", .string(Self.quoted(documentPath)))) }
        fields += [("expected", expected.map { .string(Self.quoted($0)) } ?? .null), ("actual", actual.map { .string(Self.quoted($0)) } ?? .null),
                   ("message", .string(Self.quoted(message)))]
        return .object(JSONObject(fields))
    }

    /// Where and why, then the expected and actual values on their own lines.
    public var explanation: String {
        description + (expected.map { "\n  expected: \(Self.quoted($0))" } ?? "") + (actual.map { "\n  actual:   \(Self.quoted($0))" } ?? "")
    }

    /// How many characters of a value reports quote.
    public static let quoteLimit = 2_000

    /// `text`, cut to `quoteLimit` characters with a note of how much was left out.
    public static func quoted(_ text: String) -> String {
        guard text.utf8.count > quoteLimit else { return text }
        let kept = text.prefix(quoteLimit)
        return kept + "… (\(text.count - kept.count) more characters)"
    }
}

/// The result of comparing an actual request, response or message with the contract.
public struct MatchResult: Sendable, Equatable {
    public var mismatches: [Mismatch]
    public var matched: Bool { mismatches.isEmpty }

    public init(mismatches: [Mismatch] = []) { self.mismatches = mismatches }
}
