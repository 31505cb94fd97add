/// An HTTP request as a contract expects it or as it was received.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var path: String
    public var query: Query?
    public var headers: Headers
    public var body: Body
    /// The body's content type from the contract (v4 `contentType`) or the headers.
    public var contentType: ContentType?
    public var matchingRules: MatchingRules
    /// Generators as written in the pact (applied by the verifier and the stub server).
    public var generators: JSONValue?
    /// Fields this version of Tollgate does not know, kept for re-encoding.
    public var extras: JSONObject

    public init(method: String = "GET", path: String = "/", query: Query? = nil, headers: Headers = Headers(),
                body: Body = .missing, contentType: ContentType? = nil, matchingRules: MatchingRules = MatchingRules(),
                generators: JSONValue? = nil, extras: JSONObject = JSONObject()) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.contentType = contentType ?? headers.contentType
        self.matchingRules = matchingRules
        self.generators = generators
        self.extras = extras
    }

    static let knownKeys: Set<String> = ["method", "path", "query", "headers", "body", "matchingRules", "generators"]

    static func decode(_ json: JSONValue, version: SpecVersion, at path: String) throws -> HTTPRequest {
        guard case .object(let o) = json else { throw PactError(path: path, reason: "request must be an object") }
        let method: String
        switch o["method"] {
        case nil: method = "GET"
        case .string(let m)?: method = m
        default: throw PactError(path: path + ".method", reason: "method must be a string")
        }
        let requestPath: String
        switch o["path"] {
        case nil: requestPath = "/"
        case .string(let p)?: requestPath = p
        default: throw PactError(path: path + ".path", reason: "path must be a string")
        }
        let headers = try Headers.decode(o["headers"], at: path + ".headers")
        let (body, contentType) = try Body.decode(o["body"], version: version, headerContentType: headers.contentType, at: path + ".body")
        _ = try Generators.decode(o["generators"], at: path + ".generators")
        return HTTPRequest(
            method: method, path: requestPath, query: try Query.decode(o["query"], at: path + ".query"),
            headers: headers, body: body, contentType: contentType,
            matchingRules: try RuleDecoder.matchingRules(o["matchingRules"], version: version, at: path + ".matchingRules"),
            generators: o["generators"],
            extras: JSONObject(o.filter { !knownKeys.contains($0.key) }.map { ($0.key, $0.value) }))
    }

    func encoded(version: SpecVersion) -> JSONValue {
        var o = JSONObject([("method", .string(method.uppercased())), ("path", .string(path))])
        if let query, !query.isEmpty || query.raw != nil { o["query"] = query.encoded(version: version) }
        if !headers.isEmpty { o["headers"] = headers.encoded(version: version) }
        if let body = body.encoded(version: version, contentType: contentType) { o["body"] = body }
        if let rules = RuleDecoder.encode(matchingRules, version: version) { o["matchingRules"] = rules }
        if let generators { o["generators"] = generators }
        for (k, v) in extras { o[k] = v }
        return .object(o)
    }
}

/// An HTTP response as a contract expects it or as it was received.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: Headers
    public var body: Body
    public var contentType: ContentType?
    public var matchingRules: MatchingRules
    public var generators: JSONValue?
    public var extras: JSONObject

    public init(status: Int = 200, headers: Headers = Headers(), body: Body = .missing, contentType: ContentType? = nil,
                matchingRules: MatchingRules = MatchingRules(), generators: JSONValue? = nil, extras: JSONObject = JSONObject()) {
        self.status = status
        self.headers = headers
        self.body = body
        self.contentType = contentType ?? headers.contentType
        self.matchingRules = matchingRules
        self.generators = generators
        self.extras = extras
    }

    static let knownKeys: Set<String> = ["status", "headers", "body", "matchingRules", "generators"]

    static func decode(_ json: JSONValue, version: SpecVersion, at path: String) throws -> HTTPResponse {
        guard case .object(let o) = json else { throw PactError(path: path, reason: "response must be an object") }
        var status = 200
        if let value = o["status"] {
            guard let code = value.intValue, (100...599).contains(code) else {
                throw PactError(path: path + ".status", reason: "status must be an HTTP status code (100-599), found \(value)")
            }
            status = code
        }
        let headers = try Headers.decode(o["headers"], at: path + ".headers")
        let (body, contentType) = try Body.decode(o["body"], version: version, headerContentType: headers.contentType, at: path + ".body")
        _ = try Generators.decode(o["generators"], at: path + ".generators")
        return HTTPResponse(
            status: status, headers: headers, body: body, contentType: contentType,
            matchingRules: try RuleDecoder.matchingRules(o["matchingRules"], version: version, at: path + ".matchingRules"),
            generators: o["generators"],
            extras: JSONObject(o.filter { !knownKeys.contains($0.key) }.map { ($0.key, $0.value) }))
    }

    func encoded(version: SpecVersion) -> JSONValue {
        var o = JSONObject([("status", .integer(Int64(status)))])
        if !headers.isEmpty { o["headers"] = headers.encoded(version: version) }
        if let body = body.encoded(version: version, contentType: contentType) { o["body"] = body }
        if let rules = RuleDecoder.encode(matchingRules, version: version) { o["matchingRules"] = rules }
        if let generators { o["generators"] = generators }
        for (k, v) in extras { o[k] = v }
        return .object(o)
    }
}
