/// The contents and metadata of an asynchronous message (an event), or one side of a synchronous message.
public struct Message: Sendable, Equatable {
    public var contents: Body
    public var contentType: ContentType?
    public var metadata: JSONObject
    public var matchingRules: MatchingRules
    public var generators: JSONValue?
    public var extras: JSONObject

    public init(contents: Body = .missing, contentType: ContentType? = nil, metadata: JSONObject = JSONObject(),
                matchingRules: MatchingRules = MatchingRules(), generators: JSONValue? = nil, extras: JSONObject = JSONObject()) {
        self.contents = contents
        self.contentType = contentType
        self.metadata = metadata
        self.matchingRules = matchingRules
        self.generators = generators
        self.extras = extras
    }

    static let knownKeys: Set<String> = ["contents", "metadata", "metaData", "matchingRules", "generators"]

    /// Reads a message part; `extraKnown` lists keys the caller handles (description, type, …).
    static func decode(_ json: JSONValue, version: SpecVersion, at path: String, extraKnown: Set<String> = []) throws -> Message {
        guard case .object(let o) = json else { throw PactError(path: path, reason: "message must be an object") }
        let metadataKey = o.contains("metadata") ? "metadata" : "metaData"
        var metadata = JSONObject()
        if let value = o[metadataKey], value != .null {
            guard case .object(let m) = value else { throw PactError(path: path + ".\(metadataKey)", reason: "metadata must be an object") }
            metadata = m
        }
        let declared = (metadata["contentType"] ?? metadata["content-type"] ?? metadata["Content-Type"])?.stringValue.flatMap(ContentType.init)
        let (contents, contentType) = try Body.decode(o["contents"], version: version, headerContentType: declared, at: path + ".contents")
        _ = try Generators.decode(o["generators"], at: path + ".generators")
        return Message(
            contents: contents, contentType: contentType, metadata: metadata,
            matchingRules: try RuleDecoder.matchingRules(o["matchingRules"], version: version, at: path + ".matchingRules"),
            generators: o["generators"],
            extras: JSONObject(o.filter { !knownKeys.contains($0.key) && !extraKnown.contains($0.key) }.map { ($0.key, $0.value) }))
    }

    func encodedFields(version: SpecVersion) -> JSONObject {
        var o = JSONObject()
        if let body = contents.encoded(version: version, contentType: contentType) { o["contents"] = body }
        if !metadata.isEmpty { o[version >= .v4 ? "metadata" : "metaData"] = .object(metadata) }
        if let rules = RuleDecoder.encode(matchingRules, version: version) { o["matchingRules"] = rules }
        if let generators { o["generators"] = generators }
        for (k, v) in extras { o[k] = v }
        return o
    }
}

/// A provider state: a named precondition with optional parameters (v3+).
public struct ProviderState: Sendable, Equatable {
    public var name: String
    public var params: JSONObject

    public init(name: String, params: JSONObject = JSONObject()) {
        self.name = name
        self.params = params
    }

    static func decodeAll(_ o: JSONObject, at path: String) throws -> [ProviderState] {
        if let list = o["providerStates"], list != .null {
            guard case .array(let items) = list else { throw PactError(path: path + ".providerStates", reason: "providerStates must be an array") }
            return try items.enumerated().map { n, item in
                guard let name = item["name"]?.stringValue else {
                    throw PactError(path: path + ".providerStates[\(n)]", reason: "a provider state needs a string 'name'")
                }
                let params = item["params"]?.objectValue ?? JSONObject()
                return ProviderState(name: name, params: params)
            }
        }
        switch o["providerState"] ?? o["provider_state"] {
        case .string(let name)?: return [ProviderState(name: name)]
        case nil, .null?: return []
        default: throw PactError(path: path + ".providerState", reason: "providerState must be a string")
        }
    }

    var encoded: JSONValue {
        var o = JSONObject([("name", .string(name))])
        if !params.isEmpty { o["params"] = .object(params) }
        return .object(o)
    }
}
