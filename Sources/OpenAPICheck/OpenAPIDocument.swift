package import ContractCore
import Foundation
import YAMLValues
import Yams

/// A problem that keeps a document from being read at all: the file and the place in it.
package struct OpenAPIDocumentError: Error, Sendable, CustomStringConvertible {
    package let file: String
    /// A JSON pointer (`#/paths/~1orders/get`) or `line N, column M`.
    package let place: String
    package let reason: String

    package init(file: String, place: String, reason: String) {
        self.file = file
        self.place = place
        self.reason = reason
    }

    package var description: String { "\(file) at \(place): \(reason)" }
}

/// An OpenAPI 3.0 or 3.1 document, read from JSON or YAML, with every `$ref` checked to lead
/// somewhere inside it. Nodes are addressed by JSON pointers, so every problem can name its place.
package struct OpenAPIDocument: Sendable {
    package enum Version: Sendable, Equatable { case v3_0, v3_1 }

    /// One operation: a path template and a method.
    package struct Operation: Sendable {
        /// `/api/v1/orders/{id}`, as written under `paths`.
        package let template: String
        /// Lower case, as the document writes it: `get`, `post`…
        package let method: String
        /// The operation object, `$ref`s not yet followed.
        package let node: JSONValue
        /// `#/paths/~1api~1v1~1orders~1{id}/get`.
        package let pointer: String
        /// Parameters of the path item and of the operation (the operation's win), each resolved, with its place.
        package let parameters: [(node: JSONObject, pointer: String)]
        /// The security requirements that apply (the operation's, else the document's); empty: none.
        package let security: [JSONObject]
    }

    package let source: String
    package let version: Version
    package let root: JSONValue
    /// The path parts of `servers[].url` (`/v1`), or `[""]` when none is given.
    package let basePaths: [String]
    package let operations: [Operation]

    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// Reads a document from its bytes: JSON when it starts with `{`, YAML otherwise.
    package init(bytes: [UInt8], source: String) throws {
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        let root: JSONValue
        if first == UInt8(ascii: "{") {
            do { root = try JSONParser.parse(bytes) } catch let error as JSONParseError {
                throw OpenAPIDocumentError(file: source, place: "line \(error.line), column \(error.column)", reason: error.reason)
            }
        } else {
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw OpenAPIDocumentError(file: source, place: "#", reason: "the document is neither JSON nor UTF-8 YAML")
            }
            root = try YAMLDocument.json(text, source: source)
        }
        try self.init(root: root, source: source)
    }

    package init(root: JSONValue, source: String) throws {
        func fail(_ place: String, _ reason: String) -> OpenAPIDocumentError { OpenAPIDocumentError(file: source, place: place, reason: reason) }
        guard case .object(let top) = root else { throw fail("#", "an OpenAPI document is a JSON or YAML object") }
        // YAML reads an unquoted `openapi: 3.1` as a number.
        guard let versionText = top["openapi"]?.stringValue ?? top["openapi"]?.doubleValue.map({ String($0) }) else {
            throw fail("#/openapi", top["swagger"] != nil ? "Swagger 2.0 documents are not read; convert it to OpenAPI 3 first"
                                                          : "no 'openapi' version: this is not an OpenAPI 3 document")
        }
        if versionText.hasPrefix("3.0.") || versionText == "3.0" {
            version = .v3_0
        } else if versionText.hasPrefix("3.1.") || versionText == "3.1" {
            version = .v3_1
        } else {
            throw fail("#/openapi", "version '\(versionText.prefix(40))' is not 3.0 or 3.1")
        }
        self.root = root
        self.source = source
        try JSONPointer.checkReferences(in: root, source: source)

        var bases: [String] = []
        if let servers = top["servers"] {
            guard case .array(let list) = servers else { throw fail("#/servers", "servers must be a list") }
            for (i, server) in list.enumerated() {
                guard let url = server["url"]?.stringValue else { throw fail("#/servers/\(i)/url", "a server needs a 'url'") }
                bases.append(Self.basePath(of: url, variables: server["variables"]?.objectValue))
            }
        }
        basePaths = bases.isEmpty ? [""] : bases

        guard case .object(let paths)? = top["paths"] else {
            throw fail("#/paths", top["paths"] == nil ? "the document has no 'paths'" : "paths must be an object")
        }
        let globalSecurity = top["security"]?.arrayValue?.compactMap(\.objectValue) ?? []
        var operations: [Operation] = []
        for (template, item) in paths {
            let itemPointer = "#/paths/" + JSONPointer.escape(template)
            guard template.hasPrefix("/") else { throw fail(itemPointer, "a path must start with '/'") }
            let resolvedItem = try JSONPointer.followReferences(item, root: root, source: source, at: itemPointer)
            guard case .object(let itemObject) = resolvedItem.value else { throw fail(itemPointer, "a path item must be an object") }
            let shared = try Self.parameters(itemObject["parameters"], root: root, source: source, at: resolvedItem.pointer + "/parameters")
            for method in Self.methods {
                guard let operation = itemObject[method] else { continue }
                let pointer = resolvedItem.pointer + "/" + method
                guard case .object(let operationObject) = operation else { throw fail(pointer, "an operation must be an object") }
                let own = try Self.parameters(operationObject["parameters"], root: root, source: source, at: pointer + "/parameters")
                // An operation's parameter replaces the path item's with the same name and location.
                let merged = shared.filter { s in !own.contains { $0.node["name"] == s.node["name"] && $0.node["in"] == s.node["in"] } } + own
                let security = operationObject["security"].map { $0.arrayValue?.compactMap(\.objectValue) ?? [] } ?? globalSecurity
                operations.append(Operation(template: template, method: method, node: operation, pointer: pointer, parameters: merged, security: security))
            }
        }
        self.operations = operations
    }

    private static func parameters(_ node: JSONValue?, root: JSONValue, source: String, at pointer: String) throws -> [(node: JSONObject, pointer: String)] {
        guard let node else { return [] }
        guard case .array(let list) = node else { throw OpenAPIDocumentError(file: source, place: pointer, reason: "parameters must be a list") }
        return try list.enumerated().map { index, parameter in
            let resolved = try JSONPointer.followReferences(parameter, root: root, source: source, at: "\(pointer)/\(index)")
            guard case .object(let object) = resolved.value, object["name"]?.stringValue != nil,
                  let location = object["in"]?.stringValue, ["path", "query", "header", "cookie"].contains(location) else {
                throw OpenAPIDocumentError(file: source, place: resolved.pointer, reason: "a parameter needs a 'name' and 'in' (path, query, header or cookie)")
            }
            return (object, resolved.pointer)
        }
    }

    /// `https://api.example.com/v1/` → `/v1`; `{basePath}` variables take their defaults.
    static func basePath(of url: String, variables: JSONObject?) -> String {
        var text = url
        for (name, variable) in variables ?? JSONObject() {
            if let value = variable["default"]?.stringValue { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        }
        if let scheme = text.range(of: "://") {
            let rest = text[scheme.upperBound...]
            text = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? ""
        }
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// The node a local reference (`#/components/schemas/Order`) points at.
    package func node(at pointer: String) -> JSONValue? { JSONPointer.resolve(pointer, in: root) }
}

/// YAML read as JSON values, as OpenAPI documents are written in either.
enum YAMLDocument {
    /// The most values a document may hold.
    static let maximumValues = 2_000_000

    static func json(_ text: String, source: String) throws -> JSONValue {
        // Composed, 60 MB of tiny values took more than 4 GB before the value budget could be
        // spent: the places a value can start are counted first, in one pass over the bytes.
        let starts = Self.valueStarts(text)
        guard starts <= 2 * maximumValues else {
            throw OpenAPIDocumentError(file: source, place: "#", reason: "\(starts) places where a value starts: more than the \(maximumValues) values a document may hold")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw OpenAPIDocumentError(file: source, place: Self.place(of: error), reason: "not valid YAML: \(Self.reason(of: error))")
        }
        guard let node else { throw OpenAPIDocumentError(file: source, place: "#", reason: "the document is empty") }
        var budget = maximumValues
        do {
            return try YAMLValues.value(node, at: "#", style: pointers, budget: &budget, exhausted: "more than 2,000,000 values in the document")
        } catch {
            throw OpenAPIDocumentError(file: source, place: error.mark.map { "\(error.path) (line \($0.line))" } ?? error.path, reason: error.reason)
        }
    }

    /// The places a value of a YAML text can start — a new line, after `,`, `[` or `{`, after a
    /// sequence's `- ` or a mapping's `: ` — about one per value or more (block lists count two):
    /// a count far past the budget is refused without composing anything.
    static func valueStarts(_ text: String) -> Int {
        var count = 0
        var previous: UInt8 = 0
        for byte in text.utf8 {
            switch byte {
            case 0x0A, 0x2C, 0x5B, 0x7B: count += 1
            case 0x20 where previous == 0x2D || previous == 0x3A: count += 1
            default: break
            }
            previous = byte
        }
        return count
    }

    /// `#/a/b/0`, as JSON pointers name places.
    static let pointers = YAMLValues.PathStyle(key: { $0 + "/" + JSONPointer.escape($1) }, index: { "\($0)/\($1)" })

    private static func place(of error: YamlError) -> String {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return "line \(mark.line), column \(mark.column)"
        default: return "#"
        }
    }

    private static func reason(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): return problem
        default: return "\(error)"
        }
    }
}
