public import Foundation

/// A contract between a consumer and a provider: a Pact file of any specification version.
public struct Pact: Sendable, Equatable {
    public var consumer: String
    public var provider: String
    public var interactions: [Interaction]
    public var specVersion: SpecVersion
    public var metadata: JSONObject
    /// Top-level fields Tollgate does not know, kept for re-encoding.
    public var extras: JSONObject

    public init(consumer: String, provider: String, interactions: [Interaction], specVersion: SpecVersion = .v4,
                metadata: JSONObject = JSONObject(), extras: JSONObject = JSONObject()) {
        self.consumer = consumer
        self.provider = provider
        self.interactions = interactions
        self.specVersion = specVersion
        self.metadata = metadata
        self.extras = extras
    }

    /// Decodes a pact from its JSON text. Errors name the JSON path; pass `file` to name the file too.
    public init(json text: some Collection<UInt8>, file: String? = nil) throws {
        let value: JSONValue
        do { value = try JSONParser.parse(text) } catch let error as JSONParseError {
            throw PactError(file: file, path: "$", reason: "not valid JSON: \(error)")
        }
        do { try self.init(value) } catch let error as PactError {
            throw file.map { error.inFile($0) } ?? error
        }
    }

    /// Reads a pact file from disk.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PactError(file: url.path, path: "$", reason: "cannot read the file: \(error.localizedDescription)")
        }
        try self.init(json: data, file: url.path)
    }

    static let knownKeys: Set<String> = ["consumer", "provider", "interactions", "messages", "metadata"]

    public init(_ json: JSONValue) throws {
        guard case .object(let o) = json else { throw PactError(path: "$", reason: "a pact must be a JSON object") }
        func party(_ key: String) throws -> String {
            guard let name = o[key]?["name"]?.stringValue else {
                throw PactError(path: "$.\(key)", reason: "a pact needs '\(key)': {\"name\": ...}")
            }
            return name
        }
        consumer = try party("consumer")
        provider = try party("provider")
        metadata = o["metadata"]?.objectValue ?? JSONObject()
        specVersion = try Pact.detectVersion(o, metadata: metadata)
        var interactions: [Interaction] = []
        if let list = o["interactions"] {
            guard case .array(let items) = list else { throw PactError(path: "$.interactions", reason: "'interactions' must be an array") }
            for (n, item) in items.enumerated() {
                let path = "$.interactions[\(n)]"
                interactions.append(specVersion >= .v4
                    ? try Interaction.decodeV4(item, at: path)
                    : try Interaction.decodeHTTP(item, version: specVersion, at: path))
            }
        }
        if let list = o["messages"] {
            guard case .array(let items) = list else { throw PactError(path: "$.messages", reason: "'messages' must be an array") }
            for (n, item) in items.enumerated() {
                interactions.append(try Interaction.decodeMessage(item, version: max(specVersion, .v3), at: "$.messages[\(n)]"))
            }
        }
        self.interactions = interactions
        extras = JSONObject(o.filter { !Pact.knownKeys.contains($0.key) }.map { ($0.key, $0.value) })
    }

    static func detectVersion(_ o: JSONObject, metadata: JSONObject) throws -> SpecVersion {
        let declared = metadata["pactSpecification"]?["version"] ?? metadata["pact-specification"]?["version"]
            ?? metadata["pactSpecificationVersion"]
        if let declared {
            guard let text = declared.stringValue, let version = SpecVersion(string: text) else {
                throw PactError(path: "$.metadata.pactSpecification.version", reason: "unknown Pact specification version \(declared)")
            }
            return version
        }
        if case .array(let items)? = o["interactions"], items.contains(where: { $0["type"] != nil }) { return .v4 }
        if o["messages"] != nil { return .v3 }
        return .v2
    }

    /// The pact as JSON of its own specification version (or `version`), keeping unknown fields.
    public func encoded(version: SpecVersion? = nil) -> JSONValue {
        let version = version ?? specVersion
        var o = JSONObject([("consumer", ["name": .string(consumer)]), ("provider", ["name": .string(provider)])])
        let http = interactions.filter { if case .http = $0.kind { return true } else { return false } }
        let messages = interactions.filter { if case .asynchronousMessage = $0.kind { return true } else { return false } }
        if version >= .v4 {
            o["interactions"] = .array(interactions.map { $0.encoded(version: version) })
        } else {
            if !http.isEmpty || messages.isEmpty { o["interactions"] = .array(http.map { $0.encoded(version: version) }) }
            if !messages.isEmpty { o["messages"] = .array(messages.map { $0.encoded(version: version) }) }
        }
        var meta = metadata
        meta["pactSpecificationVersion"] = nil
        meta["pact-specification"] = nil
        meta["pactSpecification"] = ["version": .string(version.versionString)]
        o["metadata"] = .object(meta)
        for (k, v) in extras { o[k] = v }
        return .object(o)
    }
}
