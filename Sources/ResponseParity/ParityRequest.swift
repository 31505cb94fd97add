import ContractCore
package import Foundation

/// A safe request replayed against both sides: its method (GET or HEAD), the path with its
/// query, and the headers it carries (credentials kept, never printed).
package struct ParityRequest: Sendable, Equatable {
    package var method: String
    /// Path and query, starting with `/`.
    package var path: String
    package var headers: [(name: String, value: String)]

    package init(method: String, path: String, headers: [(name: String, value: String)] = []) {
        self.method = method
        self.path = path
        self.headers = headers
    }

    package static func == (lhs: ParityRequest, rhs: ParityRequest) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.headers.elementsEqual(rhs.headers) { $0.name == $1.name && $0.value == $1.value }
    }

    /// Only these are replayed: a write sent twice to the baseline would do it twice (writes are
    /// compared through data consistency instead).
    package static let safeMethods: Set<String> = ["GET", "HEAD"]
}

/// Reads the requests of a HAR file (what browsers and mitmproxy export): each safe entry's
/// path, query and headers, its origin left for the sides to replace.
package enum HARReader {
    /// The largest HAR file read.
    package static let maximumBytes = 64 << 20
    /// Headers the replay sets itself (or that HTTP/2 captures carry as pseudo-headers).
    static let dropped: Set<String> = ["host", "content-length", "connection", "keep-alive", "transfer-encoding", "te", "upgrade", "accept-encoding"]

    package struct Problem: Error, CustomStringConvertible {
        package let description: String
        package init(description: String) { self.description = description }
    }

    /// The safe requests, and a note per kind of entry skipped.
    package static func requests(_ data: Data, file: String) throws -> (requests: [ParityRequest], skipped: [String]) {
        guard data.count <= maximumBytes else { throw Problem(description: "\(file): larger than \(maximumBytes >> 20) MB") }
        let root: JSONValue
        do { root = try JSONParser.parse(data) } catch { throw Problem(description: "\(file): not JSON: \(error)") }
        guard case .array(let entries)? = root["log"]?["entries"] else {
            throw Problem(description: "\(file): not a HAR file: no log.entries list")
        }
        var requests: [ParityRequest] = []
        var unsafe: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            guard let request = entry["request"], let method = request["method"]?.stringValue?.uppercased(), let url = request["url"]?.stringValue,
                  let components = URLComponents(string: url), components.scheme == "http" || components.scheme == "https" else {
                throw Problem(description: "\(file): log.entries[\(index)].request: needs a method and an absolute http(s) url")
            }
            guard ParityRequest.safeMethods.contains(method) else {
                unsafe[method, default: 0] += 1
                continue
            }
            var headers: [(name: String, value: String)] = []
            if case .array(let list)? = request["headers"] {
                for header in list {
                    guard let name = header["name"]?.stringValue, let value = header["value"]?.stringValue,
                          !name.hasPrefix(":"), !dropped.contains(name.lowercased()),
                          !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else { continue }
                    headers.append((name, value))
                }
            }
            let path = (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath) + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
            requests.append(ParityRequest(method: method, path: path, headers: headers))
        }
        let skipped = unsafe.sorted { $0.key < $1.key }.map { "\(file): \($0.value) \($0.key) request(s) not replayed (only GET and HEAD are sent twice)" }
        return (requests, skipped)
    }
}
