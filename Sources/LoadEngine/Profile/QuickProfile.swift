import ContractCore
import Foundation
import Steps

/// One endpoint under load without a profile file (`tollgate load --url`): an open model
/// (`rate`) or a closed one (`vus`), read through the same loader as a profile so every
/// limit a profile has applies to it too.
package struct QuickProfile: Sendable {
    package var url: String
    package var method = "GET"
    /// `(name, value)` pairs sent with every request.
    package var headers: [(name: String, value: String)] = []
    package var body: String?
    package var rate: Double?
    package var vus: Int?
    package var think: String?
    package var seconds: Double = 10
    package var maxVUs: Int?
    package var timeout = "10s"

    package init(url: String) { self.url = url }

    /// The profile, its target the URL's `http[s]://host:port`.
    package func profile() throws -> LoadProfile {
        let base = Self.base(of: url)
        let rest = String(url.dropFirst(base.count))
        let path = rest.isEmpty ? "/" : rest
        var yaml = "name: quick\nscenarios:\n  quick:\n"
        if let rate {
            let cap = maxVUs ?? 1000
            yaml += "    executor: constant-arrival-rate\n    rate: \(rate)\n    duration: \(seconds)s\n    pre_allocated_vus: \(min(cap, 50))\n    max_vus: \(cap)\n"
        } else {
            yaml += "    executor: constant-vus\n    vus: \(vus ?? 1)\n    duration: \(seconds)s\n"
        }
        let name = "\(method.uppercased()) \(path.split(separator: "?").first.map(String.init) ?? path)"
        yaml += "    steps:\n      - name: \(Self.quoted(name))\n"
        yaml += "        method: \(method.uppercased())\n        path: \(Self.quoted(path))\n        timeout: \(Self.quoted(timeout))\n"
        if let think { yaml += "        think: \(Self.quoted(think))\n" }
        if !headers.isEmpty {
            yaml += "        headers:\n"
            for (name, value) in headers { yaml += "          \(Self.quoted(name)): \(Self.quoted(value))\n" }
        }
        if let body { yaml += "        body: \(Self.quoted(body))\n" }
        var profile = try ProfileLoader.parse(yaml, file: "--url", environment: [:])
        profile.target = base
        profile.source = nil
        return profile
    }

    /// `http[s]://host:port` of a URL.
    package static func base(of url: String) -> String {
        guard let scheme = ["http://", "https://"].first(where: { url.lowercased().hasPrefix($0) }) else { return url }
        let rest = url.dropFirst(scheme.count)
        let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        return String(url.prefix(scheme.count) + rest[..<end])
    }

    /// A YAML double-quoted scalar: a JSON string is one (JSON is YAML's subset here).
    static func quoted(_ text: String) -> String { JSONWriter.compact(.string(text)) }
}
