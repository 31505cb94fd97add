import Foundation

/// The OpenAPI 3.1 document each reference service publishes at `GET /openapi.json` (also
/// checked in under `contracts/openapi/`). Every status an operation can answer is listed, so
/// a fuzzer's `status_code_conformance` check holds the services to it.
package enum ServiceAPIDocument {
    /// The services that publish a document, by their server names.
    package static let services = ["user-service", "catalog-service", "order-service", "payment-service", "payment-provider", "api-gateway", "monolith"]

    /// The document of `service`, as stable JSON (sorted keys, pretty-printed).
    package static func json(for service: String) -> [UInt8]? { rendered[service] }

    /// Every service's document, rendered once per process (each router serves its service's).
    private static let rendered: [String: [UInt8]] = Dictionary(uniqueKeysWithValues: services.compactMap { service in
        guard let document = document(for: service),
              let data = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]) else {
            return nil
        }
        return (service, Array(data) + [UInt8(ascii: "\n")])
    })

    static func document(for service: String) -> [String: Any]? {
        let parts: [[String: Any]]
        switch service {
        case "user-service": parts = [userPaths(proxied: false), exportPaths(["users"])]
        case "catalog-service": parts = [catalogPaths(proxied: false), internalCatalogPaths, exportPaths(["products"])]
        case "order-service": parts = [orderPaths(proxied: false), exportPaths(["orders"])]
        case "payment-service": parts = [paymentPaths]
        case "payment-provider": parts = [providerPaths]
        case "api-gateway": parts = [userPaths(proxied: true), catalogPaths(proxied: true), orderPaths(proxied: true), rolloutPaths, backfillPaths]
        case "monolith":
            // One process with every module's API: the public one, the internal one, the exports.
            parts = [userPaths(proxied: false), catalogPaths(proxied: false), internalCatalogPaths, orderPaths(proxied: false), paymentPaths,
                     exportPaths(["users", "products", "orders"])]
        default: return nil
        }
        let all = (parts + [operationsPaths(service)]).reduce(into: [String: Any]()) { all, part in all.merge(part) { first, _ in first } }
        return [
            "openapi": "3.1.0",
            "info": ["title": "Tollgate reference \(service)", "version": "1.0.0",
                     "description": "A reference service under test, as Tollgate ships it. Errors are {\"error\": {\"code\", \"message\"}}."],
            "paths": all,
            "components": [
                "schemas": usedSchemas(in: all),
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]],
            ] as [String: Any],
        ]
    }

    // MARK: building blocks

    static func json(_ schema: [String: Any]) -> [String: Any] { ["application/json": ["schema": schema]] }

    /// A response: a JSON body of `schema`, or none.
    static func reply(_ description: String, _ schema: [String: Any]? = nil) -> [String: Any] {
        var response: [String: Any] = ["description": description]
        if let schema { response["content"] = json(schema) }
        return response
    }

    static let errorDescriptions: [Int: String] = [
        400: "the request is malformed (not JSON, bad encoding)", 401: "no valid bearer token", 402: "the payment was declined",
        403: "the token's role may not do this", 404: "not found", 409: "conflicts with the current state", 413: "the body is too large",
        422: "a field is missing, of the wrong type or out of range (the message names it)", 500: "an injected fault",
        502: "a peer did not answer or failed", 503: "the database is not reachable", 504: "a peer did not answer in time",
    ]

    /// An operation: its success responses, the error statuses it may answer, and its inputs.
    static func operation(_ summary: String, _ successes: [Int: [String: Any]], errors: [Int], body: [String: Any]? = nil,
                          parameters: [[String: Any]] = [], secured: Bool = false, proxied: Bool = false) -> [String: Any] {
        var responses: [String: Any] = [:]
        for (status, response) in successes { responses[String(status)] = response }
        var statuses = Set(errors).union([400])
        if body != nil { statuses.formUnion([413, 422]) }
        if secured { statuses.insert(401) }
        if proxied { statuses.formUnion([502, 504]) }
        for status in statuses where responses[String(status)] == nil {
            responses[String(status)] = reply(errorDescriptions[status] ?? "error", OpenAPISchemas.ref("Error"))
        }
        var operation: [String: Any] = ["summary": summary, "responses": responses]
        if let body { operation["requestBody"] = ["required": true, "content": json(body)] }
        if !parameters.isEmpty { operation["parameters"] = parameters }
        if secured { operation["security"] = [["bearer": [String]()]] }
        return operation
    }

    static func pathParameter(_ name: String, _ schema: [String: Any] = OpenAPISchemas.string(max: 64)) -> [String: Any] {
        ["name": name, "in": "path", "required": true, "schema": schema]
    }

    static func query(_ name: String, _ schema: [String: Any]) -> [String: Any] {
        ["name": name, "in": "query", "required": false, "schema": schema]
    }

    static func header(_ name: String, required: Bool) -> [String: Any] {
        ["name": name, "in": "header", "required": required, "schema": OpenAPISchemas.string(max: 255, min: 1, pattern: "^[\\x20-\\x7E]+$")]
    }

    /// Only the schemas `paths` reaches (following references inside schemas too).
    static func usedSchemas(in paths: [String: Any]) -> [String: Any] {
        let all = OpenAPISchemas.all
        var used: [String: Any] = [:]
        var pending = references(in: paths)
        while let name = pending.popLast() {
            guard used[name] == nil, let schema = all[name] else { continue }
            used[name] = schema
            pending += references(in: schema)
        }
        return used
    }

    static func references(in value: Any) -> [String] {
        switch value {
        case let object as [String: Any]:
            var found = (object["$ref"] as? String).map { [String($0.split(separator: "/").last ?? "")] } ?? []
            for inner in object.values { found += references(in: inner) }
            return found
        case let array as [Any]: return array.flatMap(references(in:))
        default: return []
        }
    }

    // MARK: operations every service has

    static func operationsPaths(_ service: String) -> [String: Any] {
        [
            "/health": ["get": operation("Liveness", [200: reply("alive", OpenAPISchemas.ref("Health"))], errors: [])],
            "/ready": ["get": operation("Readiness: the database and Kafka", [200: reply("ready", OpenAPISchemas.ref("Ready")),
                                                                              503: reply("not ready", OpenAPISchemas.ref("Ready"))], errors: [])],
            "/metrics": ["get": operation("Prometheus metrics", [200: ["description": "text exposition format",
                                                                       "content": ["text/plain": ["schema": ["type": "string"]]]]], errors: [])],
            "/openapi.json": ["get": operation("This document", [200: reply("OpenAPI 3.1", ["type": "object"])], errors: [])],
        ]
    }
}
