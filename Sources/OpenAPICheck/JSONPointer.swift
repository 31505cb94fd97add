import ContractCore
import Foundation

/// JSON pointers within one document (`#/components/schemas/Order`), as `$ref` and every
/// problem the check reports use them.
enum JSONPointer {
    /// A key as one pointer token: `~` → `~0`, `/` → `~1`.
    static func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    static func unescape(_ token: Substring) -> String {
        var text = String(token)
        if text.contains("%"), let decoded = text.removingPercentEncoding { text = decoded }
        return text.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
    }

    /// The node `pointer` (`#/a/b`, `#` the root) names, or nil.
    static func resolve(_ pointer: String, in root: JSONValue) -> JSONValue? {
        guard pointer.hasPrefix("#") else { return nil }
        let path = pointer.dropFirst()
        if path.isEmpty { return root }
        guard path.hasPrefix("/") else { return nil }
        var node = root
        for token in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let key = unescape(token)
            switch node {
            case .object(let object):
                guard let next = object[key] else { return nil }
                node = next
            case .array(let array):
                guard let index = Int(key), array.indices.contains(index) else { return nil }
                node = array[index]
            default:
                return nil
            }
        }
        return node
    }

    /// A node with its `$ref`s followed (a chain of them too) and the pointer where it is written.
    static func followReferences(_ node: JSONValue, root: JSONValue, source: String, at pointer: String) throws -> (value: JSONValue, pointer: String) {
        var current = (value: node, pointer: pointer)
        var seen: Set<String> = []
        while let reference = current.value["$ref"]?.stringValue {
            guard seen.insert(reference).inserted else {
                throw OpenAPIDocumentError(file: source, place: current.pointer, reason: "the $ref '\(reference)' leads back to itself")
            }
            guard let target = resolve(reference, in: root) else {
                throw OpenAPIDocumentError(file: source, place: current.pointer + "/$ref", reason: "the $ref '\(reference)' leads nowhere in this document")
            }
            current = (target, reference)
        }
        return current
    }

    /// Every `$ref` in the document points inside it, at something that exists.
    static func checkReferences(in root: JSONValue, source: String) throws {
        var stack: [(JSONValue, String)] = [(root, "#")]
        while let (node, pointer) = stack.popLast() {
            switch node {
            case .object(let object):
                for (key, child) in object {
                    let place = pointer + "/" + escape(key)
                    // An example or a default is data, where "$ref" is only a key (a property of that name is not).
                    if ["example", "examples", "default", "enum", "const"].contains(key), !pointer.hasSuffix("/properties") { continue }
                    if key == "$ref", case .string(let reference) = child {
                        guard reference.hasPrefix("#") else {
                            throw OpenAPIDocumentError(file: source, place: place, reason: "the $ref '\(reference.prefix(200))' points outside this document; bundle it into one file first")
                        }
                        guard resolve(reference, in: root) != nil else {
                            throw OpenAPIDocumentError(file: source, place: place, reason: "the $ref '\(reference.prefix(200))' leads nowhere in this document")
                        }
                        continue
                    }
                    stack.append((child, place))
                }
            case .array(let array):
                for (index, child) in array.enumerated() { stack.append((child, "\(pointer)/\(index)")) }
            default:
                break
            }
        }
    }
}
