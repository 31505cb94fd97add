package import ContractCore
import Foundation

/// One problem of an interaction against the document, located in both.
package struct CompatibilityProblem: Sendable, Equatable {
    package enum Part: String, Sendable { case method, path, query, header, body, status }

    package var severity: SchemaFinding.Severity
    package var part: Part
    /// Where in the pact: `$.interactions[3].response.body.total`.
    package var pactPath: String
    /// Where in the document: `#/paths/~1api~1v1~1orders/post/responses/201/…/properties/total`.
    package var documentPlace: String
    package var message: String
    package var expected: String?
    package var actual: String?
}

/// What checking one HTTP interaction against the document found.
package struct InteractionCompatibility: Sendable {
    /// `POST /api/v1/orders/{id}` when an operation was found.
    package var operation: String?
    package var problems: [CompatibilityProblem]

    package var errors: [CompatibilityProblem] { problems.filter { $0.severity == .error } }
    package var warnings: [CompatibilityProblem] { problems.filter { $0.severity == .warning } }
}

/// Checks HTTP interactions against an OpenAPI document without calling the provider: the
/// operation (server base path, path template, method), its parameters, request body, status,
/// response body and headers, with the consumer's matching rules widening what it sends or accepts.
package struct OpenAPICompatibility: Sendable {
    package let document: OpenAPIDocument

    package init(document: OpenAPIDocument) { self.document = document }

    /// The findings for an HTTP interaction that is `pact.interactions[index]`; nil for a message.
    /// Throws `SchemaCheckStopped` when its schemas cost more than a budget to evaluate, or
    /// `stopped` (looked at every few thousand steps) says the run was interrupted.
    package func check(_ interaction: Interaction, index: Int, stopped: @escaping () -> Bool = { false }) throws(SchemaCheckStopped) -> InteractionCompatibility? {
        let budget = SchemaBudget(stopped: stopped)
        let found = check(interaction, index: index, budget: budget)
        if budget.exhausted {
            throw SchemaCheckStopped(document: document.source, interaction: "$.interactions[\(index)] (\(interaction.description.prefix(120)))",
                                     interrupted: budget.interrupted)
        }
        return found
    }

    private func check(_ interaction: Interaction, index: Int, budget: SchemaBudget) -> InteractionCompatibility? {
        guard case .http(let request, let response) = interaction.kind else { return nil }
        var problems: [CompatibilityProblem] = []
        let base = "$.interactions[\(index)]"
        func problem(_ severity: SchemaFinding.Severity, _ part: CompatibilityProblem.Part, _ pactPath: String, _ place: String, _ message: String,
                     expected: String? = nil, actual: String? = nil) {
            problems.append(CompatibilityProblem(severity: severity, part: part, pactPath: pactPath, documentPlace: place, message: message,
                                                 expected: expected, actual: actual))
        }
        func add(_ findings: [SchemaFinding], _ part: CompatibilityProblem.Part, under pactPath: String) {
            for finding in findings {
                problems.append(CompatibilityProblem(severity: finding.severity, part: part, pactPath: pactPath + finding.path.description.dropFirst(),
                                                     documentPlace: finding.place.description, message: finding.message,
                                                     expected: finding.expected, actual: finding.actual))
            }
        }

        // The operation.
        guard let relative = relativePath(request.path) else {
            problem(.error, .path, base + ".request.path", "#/servers",
                    "'\(request.path.prefix(200))' is not under the document's server path\(document.basePaths.count > 1 ? "s" : "") \(document.basePaths.joined(separator: ", "))",
                    actual: request.path)
            return InteractionCompatibility(operation: nil, problems: problems)
        }
        let matches = templates(matching: relative)
        guard !matches.isEmpty else {
            problem(.error, .path, base + ".request.path", "#/paths", "no path of the document matches '\(relative.prefix(200))'", actual: request.path)
            return InteractionCompatibility(operation: nil, problems: problems)
        }
        let method = request.method.lowercased()
        guard let (operation, pathValues) = matches.lazy.compactMap({ match in
            document.operations.first { $0.template == match.template && $0.method == method }.map { ($0, match.values) }
        }).first else {
            let template = matches[0].template
            let methods = document.operations.filter { $0.template == template }.map { $0.method.uppercased() }
            problem(.error, .method, base + ".request.method", "#/paths/" + JSONPointer.escape(template),
                    "the document has no \(request.method.uppercased()) for \(template) (it has \(methods.joined(separator: ", ")))",
                    expected: methods.joined(separator: " | "), actual: request.method.uppercased())
            return InteractionCompatibility(operation: nil, problems: problems)
        }
        let name = "\(operation.method.uppercased()) \(operation.template)"
        let operationNode = operation.node.objectValue ?? JSONObject()

        // Parameters.
        let requestCheck = { (rules: RuleList?) in
            SchemaCheck(document: document, side: .request, rules: { path in path == .root ? rules.map { ($0, false) } : nil }, budget: budget)
        }
        var documentedQuery: Set<String> = []
        for (parameter, pointer) in operation.parameters {
            let parameterName = parameter["name"]?.stringValue ?? ""
            let location = parameter["in"]?.stringValue ?? ""
            let required = parameter["required"]?.boolValue == true || location == "path"
            let schema = parameterSchema(parameter, pointer: pointer)
            let values: [String]?
            let pactPath: String
            let part: CompatibilityProblem.Part
            let rules: RuleList?
            switch location {
            case "path":
                values = pathValues[parameterName].map { [$0] }
                pactPath = base + ".request.path"
                part = .path
                rules = nil
            case "query":
                documentedQuery.insert(parameterName)
                values = request.query?.values(parameterName)
                pactPath = base + ".request.query.\(parameterName)"
                part = .query
                rules = request.matchingRules.query(parameterName)
            case "header":
                if ["accept", "content-type", "authorization"].contains(parameterName.lowercased()) { continue }
                let given = request.headers.values(parameterName)
                values = given.isEmpty ? nil : given
                pactPath = base + ".request.headers.\(parameterName)"
                part = .header
                rules = request.matchingRules.header(parameterName)
            default:
                continue
            }
            guard let values else {
                if required {
                    problem(.error, part, pactPath, pointer + "/required", "the required \(location) parameter '\(parameterName)' is missing")
                }
                continue
            }
            guard let (schemaNode, schemaPlace) = schema else { continue }
            // A parameter described by `content` (application/json) carries its value as JSON text.
            let conversion = parameter["schema"] == nil && values.count == 1
                ? (try? JSONParser.parse(values[0])).map { Result<JSONValue, ConversionFailure>.success($0) }
                    ?? .failure(ConversionFailure(message: "'\(values[0].prefix(80))' is not the JSON the document's content describes"))
                : typed(values, schema: schemaNode)
            switch conversion {
            case .success(let value):
                add(requestCheck(rules).check(value, schema: schemaNode, at: schemaPlace), part, under: pactPath)
            case .failure(let reason):
                problem(.error, part, pactPath, schemaPlace.description, reason.message, actual: values.joined(separator: ", "))
            }
        }
        for parameterName in request.query?.names ?? [] where !documentedQuery.contains(parameterName) {
            problem(.warning, .query, base + ".request.query.\(parameterName)", operation.pointer + "/parameters",
                    "the consumer sends the query parameter '\(parameterName)', which the document does not describe")
        }
        if let unmet = unmetSecurity(operation, request) {
            problem(.warning, .header, base + ".request.headers", operation.pointer + "/security", unmet)
        }

        // The request body.
        let requestBodyPointer = operation.pointer + "/requestBody"
        let requestBody = operationNode["requestBody"].flatMap { try? JSONPointer.followReferences($0, root: document.root, source: document.source, at: requestBodyPointer) }
        if request.body.isMissing {
            if requestBody?.value["required"]?.boolValue == true {
                problem(.error, .body, base + ".request.body", (requestBody?.pointer ?? requestBodyPointer) + "/required", "the document requires a request body; the consumer sends none")
            }
        } else if let requestBody {
            let content = requestBody.value["content"]?.objectValue ?? JSONObject()
            let type = mediaType(request.contentType, request.body)
            if let (key, media) = Self.media(for: type, in: content) {
                let place = DocumentPlace(requestBodyPointer).following(requestBody.pointer).appending("content").appending(key).appending("schema")
                if case .json(let value) = request.body, let schema = media["schema"] {
                    let check = SchemaCheck(document: document, side: .request, rules: { request.matchingRules.body.best(for: $0) }, budget: budget)
                    add(check.check(value, schema: schema, at: place), .body, under: base + ".request.body")
                }
            } else {
                problem(.error, .body, base + ".request.body", requestBody.pointer + "/content",
                        "the consumer sends \(type ?? "a body of no stated type"); the operation takes \(content.keys.joined(separator: ", "))",
                        expected: content.keys.joined(separator: " | "), actual: type)
            }
        } else if !request.body.isEmpty {
            problem(.warning, .body, base + ".request.body", operation.pointer, "the consumer sends a body; the operation documents none")
        }

        // The response.
        let responsesPointer = operation.pointer + "/responses"
        let responses = operationNode["responses"]?.objectValue ?? JSONObject()
        guard let statusKey = Self.responseKey(for: response.status, in: responses) else {
            problem(.error, .status, base + ".response.status", responsesPointer,
                    "the operation does not document status \(response.status) (it has \(responses.keys.joined(separator: ", ")))",
                    expected: responses.keys.joined(separator: " | "), actual: String(response.status))
            return InteractionCompatibility(operation: name, problems: problems)
        }
        let responsePointer = responsesPointer + "/" + JSONPointer.escape(statusKey)
        guard let documented = try? JSONPointer.followReferences(responses[statusKey]!, root: document.root, source: document.source, at: responsePointer) else {
            return InteractionCompatibility(operation: name, problems: problems)
        }
        let responsePlace = DocumentPlace(responsePointer).following(documented.pointer)
        if !response.body.isEmpty {
            let content = documented.value["content"]?.objectValue ?? JSONObject()
            let type = mediaType(response.contentType, response.body)
            if content.isEmpty {
                problem(.error, .body, base + ".response.body", documented.pointer, "the consumer expects a body; the document describes none for status \(statusKey)")
            } else if let (key, media) = Self.media(for: type, in: content) {
                if case .json(let value) = response.body, let schema = media["schema"] {
                    let check = SchemaCheck(document: document, side: .response, rules: { response.matchingRules.body.best(for: $0) }, budget: budget)
                    add(check.check(value, schema: schema, at: responsePlace.appending("content").appending(key).appending("schema")), .body, under: base + ".response.body")
                }
            } else {
                problem(.error, .body, base + ".response.body", documented.pointer + "/content",
                        "the consumer expects \(type ?? "a body of no stated type"); the provider sends \(content.keys.joined(separator: ", "))",
                        expected: content.keys.joined(separator: " | "), actual: type)
            }
        }
        let documentedHeaders = documented.value["headers"]?.objectValue ?? JSONObject()
        for (headerName, value) in response.headers where !["content-type", "content-length"].contains(headerName.lowercased()) {
            let pactPath = base + ".response.headers.\(headerName)"
            guard let (key, header) = documentedHeaders.first(where: { $0.key.lowercased() == headerName.lowercased() }) else {
                problem(.warning, .header, pactPath, documented.pointer + "/headers", "the consumer expects the header '\(headerName)', which the document does not describe")
                continue
            }
            let headerPointer = documented.pointer + "/headers/" + JSONPointer.escape(key)
            guard let resolved = try? JSONPointer.followReferences(header, root: document.root, source: document.source, at: headerPointer),
                  let schema = resolved.value["schema"] else { continue }
            switch typed([value], schema: schema) {
            case .success(let typedValue):
                let check = SchemaCheck(document: document, side: .response, rules: { path in path == .root ? response.matchingRules.header(headerName).map { ($0, false) } : nil }, budget: budget)
                add(check.check(typedValue, schema: schema, at: DocumentPlace(headerPointer).following(resolved.pointer).appending("schema")), .header, under: pactPath)
            case .failure(let reason):
                problem(.error, .header, pactPath, resolved.pointer + "/schema", reason.message, actual: value)
            }
        }
        return InteractionCompatibility(operation: name, problems: problems)
    }
}

extension OpenAPICompatibility {
    struct ConversionFailure: Error { let message: String }

    /// The pact's path without the document's server base path, or nil when it is not under one.
    func relativePath(_ path: String) -> String? {
        for base in document.basePaths.sorted(by: { $0.count > $1.count }) {
            if base.isEmpty { return path }
            if path == base { return "/" }
            if path.hasPrefix(base + "/") { return String(path.dropFirst(base.count)) }
        }
        return nil
    }

    /// The templates that match `path`, the most literal first, with the values of their parameters.
    func templates(matching path: String) -> [(template: String, values: [String: String])] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { String($0).removingPercentEncoding ?? String($0) }
        var found: [(template: String, values: [String: String], literals: Int)] = []
        for template in Set(document.operations.map(\.template)) {
            let parts = template.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
            guard parts.count == segments.count else { continue }
            var values: [String: String] = [:]
            var literals = 0
            var matched = true
            for (part, segment) in zip(parts, segments) {
                if !part.contains("{") {
                    guard part == segment else { matched = false; break }
                    literals += 1
                } else if let captured = Self.capture(template: part, segment) {
                    values.merge(captured) { first, _ in first }
                } else {
                    matched = false
                    break
                }
            }
            if matched { found.append((template, values, literals)) }
        }
        return found.sorted { $0.literals != $1.literals ? $0.literals > $1.literals : $0.template < $1.template }.map { ($0.template, $0.values) }
    }

    /// `{id}` or `{name}.json` against one segment: the parameters' values, or nil when it does not fit.
    static func capture(template part: String, _ segment: String) -> [String: String]? {
        var pattern = "^"
        var names: [String] = []
        var rest = Substring(part)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            pattern += NSRegularExpression.escapedPattern(for: String(rest[..<open])) + "([^/]+?)"
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        pattern += NSRegularExpression.escapedPattern(for: String(rest)) + "$"
        guard !segment.isEmpty, let regex = RegexCache.shared.regex(pattern),
              let match = regex.firstMatch(in: segment, range: NSRange(segment.startIndex..., in: segment)) else { return nil }
        var values: [String: String] = [:]
        for (index, name) in names.enumerated() {
            guard let range = Range(match.range(at: index + 1), in: segment) else { return nil }
            values[name] = String(segment[range])
        }
        return values
    }

    /// A parameter's schema (from `schema`, or the first entry of `content`) and its place.
    func parameterSchema(_ parameter: JSONObject, pointer: String) -> (JSONValue, DocumentPlace)? {
        if let schema = parameter["schema"] { return (schema, DocumentPlace(pointer).appending("schema")) }
        if let (key, media) = parameter["content"]?.objectValue?.first, let schema = media["schema"] {
            return (schema, DocumentPlace(pointer).appending("content").appending(key).appending("schema"))
        }
        return nil
    }

    /// Text values of a parameter or header as the JSON value the schema describes: numbers,
    /// booleans, and arrays of them for repeated or comma-separated values.
    func typed(_ values: [String], schema: JSONValue) -> Result<JSONValue, ConversionFailure> {
        let resolved = (try? JSONPointer.followReferences(schema, root: document.root, source: document.source, at: "#"))?.value ?? schema
        let types = (SchemaCheck.types(resolved["type"]) ?? []).filter { $0 != "null" }
        if types.contains("array") {
            let items = resolved["items"].flatMap { try? JSONPointer.followReferences($0, root: document.root, source: document.source, at: "#") }?.value ?? .bool(true)
            let pieces = values.count == 1 ? values[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init) : values
            var converted: [JSONValue] = []
            for piece in pieces {
                switch scalar(piece, types: (SchemaCheck.types(items["type"]) ?? []).filter { $0 != "null" }) {
                case .success(let value): converted.append(value)
                case .failure(let failure): return .failure(failure)
                }
            }
            return .success(.array(converted))
        }
        guard values.count == 1 else {
            return .failure(ConversionFailure(message: "given \(values.count) times; the document takes one value"))
        }
        return scalar(values[0], types: types)
    }

    private func scalar(_ text: String, types: [String]) -> Result<JSONValue, ConversionFailure> {
        if types.isEmpty || types.contains("string") { return .success(.string(text)) }
        if types.contains("integer"), let number = Int64(text) { return .success(.integer(number)) }
        if types.contains("number"), let number = Double(text), number.isFinite {
            return .success(Int64(exactly: number) != nil && !text.contains(".") ? .integer(Int64(number)) : .decimal(number))
        }
        if types.contains("boolean"), text == "true" || text == "false" { return .success(.bool(text == "true")) }
        return .failure(ConversionFailure(message: "'\(text.prefix(80))' is not \(types.map { $0 == "integer" ? "an integer" : "a \($0)" }.joined(separator: " or "))"))
    }

    /// The media type of a body: as the pact states it, else JSON for a JSON body.
    func mediaType(_ contentType: ContentType?, _ body: Body) -> String? {
        if let contentType { return contentType.essence.lowercased() }
        if case .json = body { return "application/json" }
        return nil
    }

    /// The entry of `content` for a media type: exact, then `type/*`, then `*/*`.
    static func media(for type: String?, in content: JSONObject) -> (String, JSONObject)? {
        let entries = content.compactMap { key, value in value.objectValue.map { (key, $0, key.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased()) } }
        guard let type else { return entries.first.map { ($0.0, $0.1) } }
        let major = type.split(separator: "/").first.map(String.init) ?? type
        for wanted in [type, major + "/*", "*/*"] {
            if let entry = entries.first(where: { $0.2 == wanted }) { return (entry.0, entry.1) }
        }
        return nil
    }

    /// `201`, then `2XX`, then `default`.
    static func responseKey(for status: Int, in responses: JSONObject) -> String? {
        let exact = String(status)
        if responses.contains(exact) { return exact }
        let range = "\(status / 100)XX"
        if let key = responses.keys.first(where: { $0.uppercased() == range }) { return key }
        return responses.contains("default") ? "default" : nil
    }

    /// Why the request meets none of the operation's security requirements, or nil when it meets one.
    func unmetSecurity(_ operation: OpenAPIDocument.Operation, _ request: HTTPRequest) -> String? {
        guard !operation.security.isEmpty else { return nil }
        var wanted: [String] = []
        for requirement in operation.security {
            var met = true
            for (scheme, _) in requirement {
                let pointer = "#/components/securitySchemes/" + JSONPointer.escape(scheme)
                let definition = document.node(at: pointer).flatMap { try? JSONPointer.followReferences($0, root: document.root, source: document.source, at: pointer) }?.value
                switch (definition?["type"]?.stringValue, definition?["in"]?.stringValue) {
                case ("apiKey", "query"):
                    let name = definition?["name"]?.stringValue ?? ""
                    if request.query?.values(name) == nil { met = false; wanted.append("the query parameter '\(name)' (\(scheme))") }
                case ("apiKey", "header"):
                    let name = definition?["name"]?.stringValue ?? ""
                    if request.headers[name] == nil { met = false; wanted.append("the header '\(name)' (\(scheme))") }
                case ("apiKey", _):
                    if request.headers["Cookie"] == nil { met = false; wanted.append("a cookie (\(scheme))") }
                case ("mutualTLS", _):
                    break
                default:
                    if request.headers["Authorization"] == nil { met = false; wanted.append("an Authorization header (\(scheme))") }
                }
            }
            if met { return nil }
        }
        return "the operation requires \(wanted.joined(separator: " or ")); the pact sends none (a verifier often adds it: fine if yours does)"
    }
}
