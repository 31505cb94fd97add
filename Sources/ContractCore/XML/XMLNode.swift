import Foundation

/// An XML element with namespace-qualified names (`urn:ns:local`), as body matching sees it.
struct XMLNode: Sendable, Equatable {
    var name: String
    var attributes: [(name: String, value: String)]
    var children: [XMLNode]
    /// The element's own text, pieces trimmed and joined.
    var text: String

    static func == (lhs: XMLNode, rhs: XMLNode) -> Bool {
        lhs.name == rhs.name && lhs.text == rhs.text && lhs.children == rhs.children
            && lhs.attributes.map(\.name) == rhs.attributes.map(\.name) && lhs.attributes.map(\.value) == rhs.attributes.map(\.value)
    }
}

/// Why an XML document could not be read.
struct XMLParseError: Error, CustomStringConvertible {
    let offset: Int
    let reason: String
    var description: String { "XML error at character \(offset): \(reason)" }
}

/// A small non-validating XML parser: elements, attributes, text, CDATA, comments,
/// processing instructions, a DOCTYPE, character and predefined entities, namespaces.
struct XMLDocumentParser {
    private let chars: [Character]
    private var i = 0

    static func parse(_ text: String) throws -> XMLNode {
        var parser = XMLDocumentParser(chars: Array(text))
        return try parser.document()
    }

    private init(chars: [Character]) { self.chars = chars }

    private func error(_ reason: String) -> XMLParseError { XMLParseError(offset: i, reason: reason) }

    private mutating func document() throws -> XMLNode {
        if chars.first == "\u{FEFF}" { i = 1 }
        try skipMisc()
        guard i < chars.count, chars[i] == "<" else { throw error("expected a root element") }
        let root = try element(namespaces: ["xml": "http://www.w3.org/XML/1998/namespace"])
        try skipMisc()
        guard i >= chars.count else { throw error("content after the root element") }
        return root
    }

    private mutating func skipMisc() throws {
        while true {
            skipWhitespace()
            if starts(with: "<?") { try skip(past: "?>") } else if starts(with: "<!--") { try skip(past: "-->") } else if starts(with: "<!DOCTYPE") {
                var depth = 0
                while i < chars.count {
                    if chars[i] == "[" { depth += 1 } else if chars[i] == "]" { depth -= 1 } else if chars[i] == ">" && depth == 0 { break }
                    i += 1
                }
                i += 1
            } else { return }
        }
    }

    private func starts(with s: String) -> Bool {
        var j = i
        for c in s {
            guard j < chars.count, chars[j] == c else { return false }
            j += 1
        }
        return true
    }

    private mutating func skip(past terminator: String) throws {
        while i < chars.count {
            if starts(with: terminator) { i += terminator.count; return }
            i += 1
        }
        throw error("missing '\(terminator)'")
    }

    private mutating func skipWhitespace() {
        while i < chars.count, chars[i].isWhitespace { i += 1 }
    }

    private mutating func readName() throws -> String {
        let start = i
        while i < chars.count, !chars[i].isWhitespace, !"/>=\"'<".contains(chars[i]) { i += 1 }
        guard i > start else { throw error("expected a name") }
        return String(chars[start..<i])
    }

    private mutating func element(namespaces inherited: [String: String]) throws -> XMLNode {
        i += 1 // <
        let rawName = try readName()
        var rawAttributes: [(String, String)] = []
        while true {
            skipWhitespace()
            guard i < chars.count else { throw error("unterminated start tag <\(rawName)>") }
            if chars[i] == "/" || chars[i] == ">" { break }
            let name = try readName()
            skipWhitespace()
            guard i < chars.count, chars[i] == "=" else { throw error("expected '=' after attribute \(name)") }
            i += 1
            skipWhitespace()
            guard i < chars.count, chars[i] == "\"" || chars[i] == "'" else { throw error("expected a quoted value for attribute \(name)") }
            let quote = chars[i]
            i += 1
            let start = i
            while i < chars.count, chars[i] != quote { i += 1 }
            guard i < chars.count else { throw error("unterminated attribute value") }
            rawAttributes.append((name, try decodeEntities(String(chars[start..<i]))))
            i += 1
        }
        var namespaces = inherited
        for (name, value) in rawAttributes {
            if name == "xmlns" { namespaces[""] = value } else if name.hasPrefix("xmlns:") { namespaces[String(name.dropFirst(6))] = value }
        }
        let name = try qualify(rawName, namespaces, isAttribute: false)
        let attributes = try rawAttributes
            .filter { $0.0 != "xmlns" && !$0.0.hasPrefix("xmlns:") }
            .map { (try qualify($0.0, namespaces, isAttribute: true), $0.1) }
        if chars[i] == "/" {
            i += 1
            guard i < chars.count, chars[i] == ">" else { throw error("expected '>' after '/'") }
            i += 1
            return XMLNode(name: name, attributes: attributes, children: [], text: "")
        }
        i += 1 // >
        var children: [XMLNode] = []
        var textParts: [String] = []
        var pending = ""
        func flush() {
            let trimmed = pending.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { textParts.append(trimmed) }
            pending = ""
        }
        while true {
            guard i < chars.count else { throw error("element <\(rawName)> is not closed") }
            if starts(with: "</") {
                flush()
                i += 2
                let closing = try readName()
                guard closing == rawName else { throw error("</\(closing)> closes <\(rawName)>") }
                skipWhitespace()
                guard i < chars.count, chars[i] == ">" else { throw error("expected '>'") }
                i += 1
                return XMLNode(name: name, attributes: attributes, children: children, text: textParts.joined())
            } else if starts(with: "<!--") {
                try skip(past: "-->")
            } else if starts(with: "<![CDATA[") {
                i += 9
                let start = i
                try skip(past: "]]>")
                pending += String(chars[start..<(i - 3)])
            } else if starts(with: "<?") {
                try skip(past: "?>")
            } else if chars[i] == "<" {
                flush()
                children.append(try element(namespaces: namespaces))
            } else {
                let start = i
                while i < chars.count, chars[i] != "<" { i += 1 }
                pending += try decodeEntities(String(chars[start..<i]))
            }
        }
    }

    private func qualify(_ raw: String, _ namespaces: [String: String], isAttribute: Bool) throws -> String {
        if let colon = raw.firstIndex(of: ":") {
            let prefix = String(raw[..<colon])
            let local = String(raw[raw.index(after: colon)...])
            guard let uri = namespaces[prefix] else { throw error("undeclared namespace prefix '\(prefix)'") }
            return uri + ":" + local
        }
        if !isAttribute, let uri = namespaces[""], !uri.isEmpty { return uri + ":" + raw }
        return raw
    }

    private func decodeEntities(_ s: String) throws -> String {
        guard s.contains("&") else { return s }
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else { throw error("unterminated entity") }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "lt": out += "<"
            case "gt": out += ">"
            case "amp": out += "&"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let code: UInt32?
                if entity.hasPrefix("#x") { code = UInt32(entity.dropFirst(2), radix: 16) } else if entity.hasPrefix("#") { code = UInt32(entity.dropFirst()) } else { code = nil }
                guard let code, let scalar = Unicode.Scalar(code) else { throw error("unknown entity &\(entity);") }
                out.unicodeScalars.append(scalar)
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }
}
