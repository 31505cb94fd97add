import Foundation

/// The body of a request, response or message.
///
/// `missing` (no body in the contract: anything goes) differs from `null` (a JSON null body)
/// and from an empty text body.
public enum Body: Sendable, Equatable {
    case missing
    case null
    case json(JSONValue)
    case text(String)
    case binary([UInt8])

    public var isMissing: Bool { self == .missing }

    /// True for no body, a null body and a zero-length body.
    public var isEmpty: Bool {
        switch self {
        case .missing, .null: return true
        case .text(let s): return s.isEmpty
        case .binary(let b): return b.isEmpty
        case .json: return false
        }
    }

    /// The bytes on the wire.
    public var bytes: [UInt8] {
        switch self {
        case .missing, .null: return []
        case .json(let value): return Array(JSONWriter.compact(value).utf8)
        case .text(let s): return Array(s.utf8)
        case .binary(let b): return b
        }
    }

    /// A short rendering for messages: the JSON or the text, binary as a byte count.
    public var displayText: String {
        switch self {
        case .missing: return "<no body>"
        case .null: return "null"
        case .json(let v): return JSONWriter.compact(v)
        case .text(let s): return s
        case .binary(let b): return "<\(b.count) bytes>"
        }
    }

    /// A body read from bytes received over the wire; `contentType` comes from the headers.
    public static func received(_ bytes: [UInt8], contentType: ContentType?) -> Body {
        if bytes.isEmpty { return .missing }
        let type = contentType ?? ContentType.detect(bytes)
        if type.isJSON, let value = try? JSONParser.parse(bytes) { return .json(value) }
        if type.isText || contentType == nil, let text = String(validating: bytes, as: UTF8.self) { return .text(text) }
        return .binary(bytes)
    }

    /// The body as a pact file of spec `version` holds it, written as JSON.
    func encoded(version: SpecVersion, contentType: ContentType?) -> JSONValue? {
        if version >= .v4 {
            switch self {
            case .missing: return nil
            case .null: return ["content": .null]
            case .json(let v):
                return ["content": v, "contentType": .string(contentType?.description ?? "application/json"), "encoded": false]
            case .text(let s):
                return ["content": .string(s), "contentType": .string(contentType?.description ?? "text/plain"), "encoded": false]
            case .binary(let b):
                return ["content": .string(Data(b).base64EncodedString()),
                        "contentType": .string(contentType?.description ?? "application/octet-stream"), "encoded": "base64"]
            }
        }
        switch self {
        case .missing: return nil
        case .null: return .null
        case .json(let v): return v
        case .text(let s): return .string(s)
        case .binary(let b): return .string(Data(b).base64EncodedString())
        }
    }

    /// Reads a body as written in a pact file of spec `version`.
    /// - Parameters:
    ///   - headerContentType: the `Content-Type` header of the same request/response, if any.
    static func decode(_ json: JSONValue?, version: SpecVersion, headerContentType: ContentType?, at path: String) throws -> (Body, ContentType?) {
        guard let json else { return (.missing, headerContentType) }
        if version >= .v4, case .object(let object) = json, object.contains("content") || object.contains("contentType") {
            var contentType = headerContentType
            if let declared = object["contentType"] {
                guard let text = declared.stringValue, let parsed = ContentType(text) else {
                    throw PactError(path: path + ".contentType", reason: "'\(declared)' is not a media type")
                }
                contentType = parsed
            }
            let content = object["content"] ?? .null
            let encoded = object["encoded"] ?? .bool(false)
            switch (encoded, content) {
            case (_, .null): return (.null, contentType)
            case (.string(let how), .string(let text)) where how.lowercased() == "base64":
                guard let data = Data(base64Encoded: text) else {
                    throw PactError(path: path + ".content", reason: "body is marked base64 but is not valid base64")
                }
                return (.binary(Array(data)), contentType)
            case (.string(let how), .string(let text)) where how.lowercased() == "json":
                do { return (.json(try JSONParser.parse(text)), contentType ?? .json) } catch {
                    throw PactError(path: path + ".content", reason: "body is marked as encoded JSON but does not parse: \(error)")
                }
            case (_, .string(let text)):
                if let contentType, contentType.isJSON {
                    if text.isEmpty { return (.text(""), contentType) }
                    if let value = try? JSONParser.parse(text) { return (.json(value), contentType) }
                    return (.json(.string(text)), contentType)
                }
                return (.text(text), contentType)
            default:
                return (.json(content), contentType ?? .json)
            }
        }
        switch json {
        case .null: return (.null, headerContentType)
        case .string(let text):
            if let headerContentType, headerContentType.isJSON {
                return (text.isEmpty ? .text("") : .json(.string(text)), headerContentType)
            }
            return (.text(text), headerContentType ?? (text.isEmpty ? nil : ContentType.detect(Array(text.utf8))))
        default:
            return (.json(json), headerContentType ?? .json)
        }
    }
}
