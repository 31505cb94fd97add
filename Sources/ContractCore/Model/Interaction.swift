/// One interaction of a pact: an HTTP request/response pair or a message.
public struct Interaction: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case http(request: HTTPRequest, response: HTTPResponse)
        case asynchronousMessage(Message)
        case synchronousMessage(request: Message, responses: [Message])

        /// The v4 `type` string.
        public var typeName: String {
            switch self {
            case .http: return "Synchronous/HTTP"
            case .asynchronousMessage: return "Asynchronous/Messages"
            case .synchronousMessage: return "Synchronous/Messages"
            }
        }
    }

    public var description: String
    public var providerStates: [ProviderState]
    public var kind: Kind
    /// v4: a pending interaction is reported but does not fail verification.
    public var pending: Bool
    public var key: String?
    public var comments: JSONValue?
    public var extras: JSONObject

    public init(description: String, providerStates: [ProviderState] = [], kind: Kind, pending: Bool = false,
                key: String? = nil, comments: JSONValue? = nil, extras: JSONObject = JSONObject()) {
        self.description = description
        self.providerStates = providerStates
        self.kind = kind
        self.pending = pending
        self.key = key
        self.comments = comments
        self.extras = extras
    }

    static let commonKeys: Set<String> = ["description", "providerState", "providerStates", "provider_state", "type", "pending", "key", "comments", "_id"]

    static func description(_ o: JSONObject, at path: String) throws -> String {
        guard let text = o["description"]?.stringValue else { throw PactError(path: path + ".description", reason: "an interaction needs a string 'description'") }
        return text
    }

    /// v1–v3 `interactions[n]`.
    static func decodeHTTP(_ json: JSONValue, version: SpecVersion, at path: String) throws -> Interaction {
        guard case .object(let o) = json else { throw PactError(path: path, reason: "an interaction must be an object") }
        guard let request = o["request"] else { throw PactError(path: path, reason: "an HTTP interaction needs a 'request'") }
        guard let response = o["response"] else { throw PactError(path: path, reason: "an HTTP interaction needs a 'response'") }
        return Interaction(
            description: try description(o, at: path),
            providerStates: try ProviderState.decodeAll(o, at: path),
            kind: .http(request: try HTTPRequest.decode(request, version: version, at: path + ".request"),
                        response: try HTTPResponse.decode(response, version: version, at: path + ".response")),
            extras: extras(o, known: commonKeys.union(["request", "response"])))
    }

    /// v3 `messages[n]`.
    static func decodeMessage(_ json: JSONValue, version: SpecVersion, at path: String) throws -> Interaction {
        guard case .object(let o) = json else { throw PactError(path: path, reason: "a message must be an object") }
        var message = try Message.decode(json, version: version, at: path, extraKnown: commonKeys)
        message.extras = JSONObject()
        return Interaction(description: try description(o, at: path), providerStates: try ProviderState.decodeAll(o, at: path),
                           kind: .asynchronousMessage(message),
                           extras: extras(o, known: commonKeys.union(Message.knownKeys)))
    }

    /// v4 `interactions[n]` with a `type`.
    static func decodeV4(_ json: JSONValue, at path: String) throws -> Interaction {
        guard case .object(let o) = json else { throw PactError(path: path, reason: "an interaction must be an object") }
        let type = o["type"]?.stringValue ?? "Synchronous/HTTP"
        let kind: Kind
        var known = commonKeys
        switch type {
        case "Synchronous/HTTP":
            guard let request = o["request"], let response = o["response"] else {
                throw PactError(path: path, reason: "a Synchronous/HTTP interaction needs 'request' and 'response'")
            }
            kind = .http(request: try HTTPRequest.decode(request, version: .v4, at: path + ".request"),
                         response: try HTTPResponse.decode(response, version: .v4, at: path + ".response"))
            known.formUnion(["request", "response"])
        case "Asynchronous/Messages":
            var message = try Message.decode(json, version: .v4, at: path, extraKnown: commonKeys)
            message.extras = JSONObject()
            kind = .asynchronousMessage(message)
            known.formUnion(Message.knownKeys)
        case "Synchronous/Messages":
            guard let request = o["request"] else { throw PactError(path: path, reason: "a Synchronous/Messages interaction needs a 'request'") }
            guard case .array(let responses)? = o["response"] else {
                throw PactError(path: path + ".response", reason: "a Synchronous/Messages interaction needs a 'response' array")
            }
            kind = .synchronousMessage(
                request: try Message.decode(request, version: .v4, at: path + ".request"),
                responses: try responses.enumerated().map { try Message.decode($1, version: .v4, at: path + ".response[\($0)]") })
            known.formUnion(["request", "response"])
        default:
            throw PactError(path: path + ".type", reason: "unknown interaction type '\(type)' (Synchronous/HTTP, Asynchronous/Messages, Synchronous/Messages)")
        }
        if let pending = o["pending"], pending.boolValue == nil {
            throw PactError(path: path + ".pending", reason: "pending must be true or false")
        }
        return Interaction(description: try description(o, at: path), providerStates: try ProviderState.decodeAll(o, at: path),
                           kind: kind, pending: o["pending"]?.boolValue ?? false, key: o["key"]?.stringValue,
                           comments: o["comments"], extras: extras(o, known: known))
    }

    private static func extras(_ o: JSONObject, known: Set<String>) -> JSONObject {
        JSONObject(o.filter { !known.contains($0.key) }.map { ($0.key, $0.value) })
    }

    func encoded(version: SpecVersion) -> JSONValue {
        var o = JSONObject()
        if version >= .v4 { o["type"] = .string(kind.typeName) }
        if let key, version >= .v4 { o["key"] = .string(key) }
        o["description"] = .string(description)
        if version >= .v3 {
            if !providerStates.isEmpty { o["providerStates"] = .array(providerStates.map(\.encoded)) }
        } else if let first = providerStates.first {
            o["providerState"] = .string(first.name)
        }
        switch kind {
        case .http(let request, let response):
            o["request"] = request.encoded(version: version)
            o["response"] = response.encoded(version: version)
        case .asynchronousMessage(let message):
            for (k, v) in message.encodedFields(version: version) { o[k] = v }
        case .synchronousMessage(let request, let responses):
            o["request"] = .object(request.encodedFields(version: version))
            o["response"] = .array(responses.map { .object($0.encodedFields(version: version)) })
        }
        if version >= .v4 {
            if pending { o["pending"] = true }
            if let comments { o["comments"] = comments }
        }
        for (k, v) in extras { o[k] = v }
        return .object(o)
    }
}
