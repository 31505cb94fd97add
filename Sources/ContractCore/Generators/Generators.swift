/// The generators of a request, response or message, by category.
public struct Generators: Sendable, Equatable {
    public var path: Generator?
    public var status: Generator?
    public var headers: [(name: String, generator: Generator)] = []
    public var query: [(name: String, generator: Generator)] = []
    public var body: [(expression: PathExpression, generator: Generator)] = []
    public var metadata: [(name: String, generator: Generator)] = []

    public init() {}

    public var isEmpty: Bool { path == nil && status == nil && headers.isEmpty && query.isEmpty && body.isEmpty && metadata.isEmpty }

    public static func == (lhs: Generators, rhs: Generators) -> Bool {
        lhs.path == rhs.path && lhs.status == rhs.status && lhs.headers.map(\.name) == rhs.headers.map(\.name)
            && lhs.headers.map(\.generator) == rhs.headers.map(\.generator) && lhs.query.map(\.name) == rhs.query.map(\.name)
            && lhs.body.map(\.expression) == rhs.body.map(\.expression) && lhs.body.map(\.generator) == rhs.body.map(\.generator)
    }

    /// Reads `{"body": {"$.id": {"type": "Uuid"}}, "path": {...}, "header": {...}, ...}`.
    public static func decode(_ json: JSONValue?, at path: String) throws -> Generators {
        var result = Generators()
        guard let json, json != .null else { return result }
        guard case .object(let o) = json else { throw PactError(path: path, reason: "generators must be an object") }
        for (category, value) in o {
            let here = path + ".\(category)"
            switch category {
            case "path": result.path = try Generator.decode(value, at: here)
            case "status": result.status = try Generator.decode(value, at: here)
            case "header", "headers", "query", "metadata", "body", "content":
                guard case .object(let entries) = value else { throw PactError(path: here, reason: "expected an object of generators") }
                for (key, generatorJSON) in entries {
                    let generator = try Generator.decode(generatorJSON, at: here + "['\(key)']")
                    switch category {
                    case "header", "headers": result.headers.append((key, generator))
                    case "query": result.query.append((key, generator))
                    case "metadata": result.metadata.append((key, generator))
                    default:
                        do { result.body.append((try PathExpression(key), generator)) } catch {
                            throw PactError(path: here + "['\(key)']", reason: "\(error)")
                        }
                    }
                }
            default:
                throw PactError(path: here, reason: "unknown generator category '\(category)'")
            }
        }
        return result
    }

    /// Applies the body generators to a JSON document (every place a path expression matches).
    public func apply(toBody body: Body, context: GeneratorContext) -> Body {
        guard !self.body.isEmpty, case .json(var document) = body else { return body }
        for (expression, generator) in self.body {
            document = Self.replacing(document, at: .root, expression: expression, generator: generator, context: context)
        }
        return .json(document)
    }

    static func replacing(_ value: JSONValue, at path: DocumentPath, expression: PathExpression, generator: Generator, context: GeneratorContext) -> JSONValue {
        if expression.tokens.count == path.length, expression.weight(for: path) > 0 {
            return generator.generate(example: value, context: context)
        }
        guard expression.tokens.count > path.length, expression.weight(for: path) > 0 || path.segments.isEmpty else { return value }
        switch value {
        case .object(var object):
            for key in object.keys {
                object[key] = replacing(object[key]!, at: path.appending(field: key), expression: expression, generator: generator, context: context)
            }
            return .object(object)
        case .array(var items):
            for i in items.indices {
                items[i] = replacing(items[i], at: path.appending(index: i), expression: expression, generator: generator, context: context)
            }
            return .array(items)
        default:
            return value
        }
    }
}

extension HTTPRequest {
    /// The request with its generators applied (provider-state values in path, headers, query, body).
    public func generated(_ context: GeneratorContext) throws -> HTTPRequest {
        let generators = try Generators.decode(self.generators, at: "generators")
        guard !generators.isEmpty else { return self }
        var copy = self
        if let generator = generators.path { copy.path = generator.generate(example: .string(path), context: context).matchText }
        for (name, generator) in generators.headers {
            let value = generator.generate(example: .string(headers[name] ?? ""), context: context).matchText
            copy.headers.set(name, value)
        }
        for (name, generator) in generators.query {
            var query = copy.query ?? Query()
            let values = query.values(name) ?? [""]
            let fresh = values.map { generator.generate(example: .string($0), context: context).matchText }
            query = Query(query.parameters.map { $0.name == name ? ($0.name, fresh) : $0 } + (query.values(name) == nil ? [(name, fresh)] : []))
            copy.query = query
        }
        copy.body = generators.apply(toBody: body, context: context)
        return copy
    }
}

extension HTTPResponse {
    /// The response with its generators applied (as a stub serves it).
    public func generated(_ context: GeneratorContext) throws -> HTTPResponse {
        generated(with: try Generators.decode(self.generators, at: "generators"), context)
    }

    /// The response with already decoded generators applied (a stub decodes them once, at load).
    public func generated(with generators: Generators, _ context: GeneratorContext) -> HTTPResponse {
        guard !generators.isEmpty else { return self }
        var copy = self
        if let generator = generators.status, let code = generator.generate(example: .integer(Int64(status)), context: context).intValue { copy.status = code }
        for (name, generator) in generators.headers {
            copy.headers.set(name, generator.generate(example: .string(headers[name] ?? ""), context: context).matchText)
        }
        copy.body = generators.apply(toBody: body, context: context)
        return copy
    }
}
