package import Foundation
package import HTTPTypes
package import Hummingbird

/// JSON for the services' API: snake_case fields, ISO 8601 dates, decimals kept exact.
package enum JSON {
    package static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    package static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date: \(text)"))
            }
            return date
        }
        return decoder
    }()

    /// ISO 8601 in UTC with milliseconds (`2026-11-25T17:36:04.123Z`); a value type, so
    /// concurrent requests share no formatter state.
    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// A date as the services write it.
    package static func timestamp(_ date: Date) -> String { date.formatted(timestampStyle) }

    /// A date in ISO 8601, with or without fractional seconds.
    static func parseTimestamp(_ text: String) -> Date? {
        (try? timestampStyle.parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text))
    }

    package static func encode<T: Encodable>(_ value: T) throws -> [UInt8] { Array(try encoder.encode(value)) }

    /// A JSON response.
    package static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let data = try encoder.encode(value)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Decodes `bytes`, turning decoding failures into 400 (not JSON) or 422 (wrong shape) errors
    /// that name the field.
    package static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        guard !bytes.isEmpty else { throw APIError.badRequest("the request needs a JSON body") }
        do {
            return try decoder.decode(T.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, context) {
            throw APIError.invalid("missing field '\(fieldPath(context.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, context) {
            if context.codingPath.isEmpty { throw APIError.invalid("the body must be a JSON object") }
            throw APIError.invalid("field '\(fieldPath(context.codingPath))' has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw APIError.invalid("field '\(fieldPath(context.codingPath))' must not be null")
        } catch let DecodingError.dataCorrupted(context) {
            // At the top level this is a syntax error: the body is not JSON at all.
            if context.codingPath.isEmpty { throw APIError.badRequest("the request body is not valid JSON") }
            throw APIError.invalid("field '\(fieldPath(context.codingPath))': \(context.debugDescription)")
        }
    }

    static func fieldPath(_ path: [any CodingKey]) -> String {
        path.map { key in key.intValue.map { "[\($0)]" } ?? snakeCase(key.stringValue) }
            .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    static func snakeCase(_ name: String) -> String {
        var out = ""
        for c in name {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }
}

extension Request {
    /// The body decoded as `T` (see `JSON.decode`).
    func decodeJSON<T: Decodable>(_ type: T.Type) async throws -> T {
        let buffer = try await body.collect(upTo: 4 * 1024 * 1024)
        return try JSON.decode(type, from: Array(buffer.readableBytesView))
    }

    /// A header value by name.
    func header(_ name: String) -> String? {
        HTTPField.Name(name).flatMap { headers[$0] }
    }
}
