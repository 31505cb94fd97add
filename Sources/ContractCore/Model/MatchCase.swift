/// One case in the Pact specification's test-case format:
/// `{"match": bool, "comment": "...", "expected": {...}, "actual": {...}}`.
public struct MatchCase: Sendable {
    public enum Kind: String, Sendable, CaseIterable { case request, response, message }

    public var kind: Kind
    public var version: SpecVersion
    /// The verdict the case expects; nil when the file has no `match` field (a user's own comparison).
    public var expectedVerdict: Bool?
    public var comment: String?
    public var expected: JSONValue
    public var actual: JSONValue

    /// Reads a case; `kind` and `version` come from the caller (see `infer(fromPath:)`).
    /// Without a kind, it is told from the expectation's fields (`status` → response,
    /// `method`/`path` → request, `contents` → message).
    public init(json text: some Collection<UInt8>, kind: Kind?, version: SpecVersion, file: String? = nil) throws {
        let value: JSONValue
        do { value = try JSONParser.parse(text) } catch {
            throw PactError(file: file, path: "$", reason: "not valid JSON: \(error)")
        }
        guard case .object(let o) = value else { throw PactError(file: file, path: "$", reason: "a test case must be a JSON object") }
        guard let expected = o["expected"] else { throw PactError(file: file, path: "$.expected", reason: "a test case needs 'expected'") }
        guard let actual = o["actual"] else { throw PactError(file: file, path: "$.actual", reason: "a test case needs 'actual'") }
        if let verdict = o["match"], verdict.boolValue == nil {
            throw PactError(file: file, path: "$.match", reason: "'match' must be true or false")
        }
        guard let kind = kind ?? MatchCase.kind(of: expected) else {
            throw PactError(file: file, path: "$.expected", reason: "cannot tell whether this is a request, response or message: pass --kind")
        }
        self.kind = kind
        self.version = version
        self.expectedVerdict = o["match"]?.boolValue
        self.comment = o["comment"]?.stringValue
        self.expected = expected
        self.actual = actual
    }

    /// Runs the comparison. Throws a `PactError` when either side is not a valid request/response/message.
    public func evaluate(file: String? = nil) throws -> MatchResult {
        do {
            switch kind {
            case .request:
                return ContractMatcher.match(expected: try HTTPRequest.decode(expected, version: version, at: "$.expected"),
                                             actual: try HTTPRequest.decode(actual, version: version, at: "$.actual"), version: version)
            case .response:
                return ContractMatcher.match(expected: try HTTPResponse.decode(expected, version: version, at: "$.expected"),
                                             actual: try HTTPResponse.decode(actual, version: version, at: "$.actual"), version: version)
            case .message:
                return ContractMatcher.match(expected: try Message.decode(expected, version: version, at: "$.expected"),
                                             actual: try Message.decode(actual, version: version, at: "$.actual"), version: version)
            }
        } catch let error as PactError {
            throw file.map { error.inFile($0) } ?? error
        }
    }

    static func kind(of expected: JSONValue) -> Kind? {
        if expected["contents"] != nil || expected["metaData"] != nil || expected["metadata"] != nil { return .message }
        if expected["status"] != nil { return .response }
        if expected["method"] != nil || expected["path"] != nil || expected["query"] != nil { return .request }
        return nil
    }

    /// The kind and spec version a test-case path implies, e.g.
    /// `version-3/testcases/response/body/x.json` → (.response, .v3).
    public static func infer(fromPath path: String) -> (kind: Kind?, version: SpecVersion?) {
        let components = path.split(separator: "/").map(String.init)
        var kind: Kind?
        var version: SpecVersion?
        for component in components {
            if component.hasPrefix("version-") || component.hasPrefix("v") {
                let number = component.hasPrefix("version-") ? String(component.dropFirst(8)) : String(component.dropFirst())
                if let parsed = SpecVersion(string: number) { version = parsed }
            }
        }
        // The innermost kind folder wins (testcases/<kind>/<part>/file.json).
        for component in components.dropLast().reversed() {
            if let found = Kind(rawValue: component) { kind = found; break }
        }
        return (kind, version)
    }
}
