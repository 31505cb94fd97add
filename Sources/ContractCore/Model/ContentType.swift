import Foundation

/// A parsed media type such as `application/json; charset=utf-8`.
public struct ContentType: Sendable, Equatable, CustomStringConvertible {
    public var type: String
    public var subtype: String
    public var parameters: [(name: String, value: String)]

    public init?(_ text: String) {
        let parts = ContentType.splitParameters(text)
        guard let media = parts.first?.trimmingCharacters(in: .whitespacesAndNewlines).lowercased(),
              let slash = media.firstIndex(of: "/") else { return nil }
        type = String(media[..<slash])
        subtype = String(media[media.index(after: slash)...])
        guard !type.isEmpty, !subtype.isEmpty else { return nil }
        parameters = parts.dropFirst().compactMap { part in
            let trimmed = part.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let eq = trimmed.firstIndex(of: "=") else { return nil }
            let name = trimmed[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            var value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return (name, value)
        }
    }

    public static func == (lhs: ContentType, rhs: ContentType) -> Bool {
        lhs.type == rhs.type && lhs.subtype == rhs.subtype
            && lhs.parameters.map(\.name) == rhs.parameters.map(\.name)
            && lhs.parameters.map(\.value) == rhs.parameters.map(\.value)
    }

    /// Splits on `;` outside quotes.
    static func splitParameters(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        for c in text {
            if c == "\"" { quoted.toggle() }
            if c == ";" && !quoted { parts.append(current); current = ""; continue }
            current.append(c)
        }
        parts.append(current)
        return parts
    }

    public var essence: String { "\(type)/\(subtype)" }

    public var isJSON: Bool {
        (type == "application" || type == "text") && (subtype == "json" || subtype.hasSuffix("+json"))
            || subtype == "x-json" || subtype.hasSuffix("json")
    }

    public var isXML: Bool { subtype == "xml" || subtype.hasSuffix("+xml") }

    public var isText: Bool {
        type == "text" || isJSON || isXML || subtype == "x-www-form-urlencoded" || subtype == "javascript"
    }

    public func parameter(_ name: String) -> String? {
        parameters.first { $0.name == name }?.value
    }

    public var description: String {
        ([essence] + parameters.map { "\($0.name)=\($0.value)" }).joined(separator: "; ")
    }

    public static let json = ContentType("application/json")!
    public static let xml = ContentType("application/xml")!
    public static let text = ContentType("text/plain")!
    public static let octetStream = ContentType("application/octet-stream")!

    /// Guesses a content type from content, the way a provider's bytes are sniffed
    /// when they carry no `Content-Type`.
    public static func detect(_ bytes: [UInt8]) -> ContentType {
        let signatures: [([UInt8], String)] = [
            ([0x89, 0x50, 0x4E, 0x47], "image/png"),
            ([0xFF, 0xD8, 0xFF], "image/jpeg"),
            ([0x47, 0x49, 0x46, 0x38], "image/gif"),
            ([0x25, 0x50, 0x44, 0x46], "application/pdf"),
            ([0x50, 0x4B, 0x03, 0x04], "application/zip"),
            ([0x1F, 0x8B], "application/gzip"),
        ]
        for (magic, type) in signatures where bytes.starts(with: magic) { return ContentType(type)! }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .octetStream }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("<?xml") || (trimmed.hasPrefix("<") && trimmed.hasSuffix(">") && !trimmed.lowercased().hasPrefix("<!doctype html") && !trimmed.lowercased().hasPrefix("<html")) {
            return .xml
        }
        if trimmed.lowercased().hasPrefix("<!doctype html") || trimmed.lowercased().hasPrefix("<html") { return ContentType("text/html")! }
        if let first = trimmed.first, first == "{" || first == "[", (try? JSONParser.parse(trimmed)) != nil { return .json }
        return .text
    }
}
