package import Foundation
package import HTTPTypes
package import Hummingbird

/// An API failure rendered as `{"error": {"code": "...", "message": "..."}}` with its status.
package struct APIError: HTTPResponseError, CustomStringConvertible {
    package let status: HTTPResponse.Status
    package let code: String
    package let message: String
    /// Extra fields placed inside `error` (e.g. the products that are out of stock).
    package var details: [String: JSONField] = [:]

    package init(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: [String: JSONField] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    package var description: String { "\(status.code) \(code): \(message)" }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var body: [String: JSONField] = ["code": .string(code), "message": .string(message)]
        body.merge(details) { _, new in new }
        return try JSON.response(["error": JSONField.object(body)], status: status)
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
    static func invalid(_ message: String) -> APIError { APIError(.unprocessableContent, "validation_failed", message) }
    static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", "\(what) not found") }
    static func conflict(_ code: String, _ message: String) -> APIError { APIError(.conflict, code, message) }
    static let unauthorized = APIError(.unauthorized, "unauthorized", "a valid bearer token is required")
    static let forbidden = APIError(.forbidden, "forbidden", "this needs the admin role")
}

/// A loosely typed JSON value for error details and event payloads.
package enum JSONField: Codable, Sendable, Equatable {
    case string(String)
    case int(Int)
    case decimal(Decimal)
    case bool(Bool)
    case array([JSONField])
    case object([String: JSONField])
    case null

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let v): try container.encode(v)
        case .int(let v): try container.encode(v)
        case .decimal(let v): try container.encode(v)
        case .bool(let v): try container.encode(v)
        case .array(let v): try container.encode(v)
        case .object(let v): try container.encode(v)
        case .null: try container.encodeNil()
        }
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null } else if let v = try? container.decode(Bool.self) { self = .bool(v) } else if let v = try? container.decode(Int.self) { self = .int(v) } else if let v = try? container.decode(Decimal.self) { self = .decimal(v) } else if let v = try? container.decode(String.self) { self = .string(v) } else if let v = try? container.decode([JSONField].self) { self = .array(v) } else { self = .object(try container.decode([String: JSONField].self)) }
    }
}

extension HTTPResponse.Status {
    /// 402, used for declined payments.
    static let paymentRequired = HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required")
}
