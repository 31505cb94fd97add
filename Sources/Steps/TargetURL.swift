/// The base URL load is sent to: `http[s]://host[:port][/base]`.
package struct TargetURL: Sendable, Equatable, CustomStringConvertible {
    package let host: String
    package let port: Int
    /// `https://`: connections are made over TLS.
    package let usesTLS: Bool
    /// A path prefix without a trailing slash ("" for none).
    package let basePath: String

    package init?(_ text: String) {
        let scheme = text.prefix(8).lowercased()
        if scheme == "https://" { usesTLS = true } else if scheme.hasPrefix("http://") { usesTLS = false } else { return nil }
        var rest = text.dropFirst(usesTLS ? 8 : 7)
        var base = ""
        if let slash = rest.firstIndex(of: "/") {
            base = String(rest[slash...])
            rest = rest[..<slash]
            while base.hasSuffix("/") { base.removeLast() }
        }
        guard !rest.isEmpty, !rest.contains("@"), !base.contains("?"), !base.contains("#") else { return nil }
        var host = String(rest)
        var port = usesTLS ? 443 : 80
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { return nil }; port = p } else if !after.isEmpty { return nil }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
            host = String(host[..<colon])
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-_:".contains($0)) }) else { return nil }
        self.host = host
        self.port = port
        basePath = base
    }

    /// The Host header's value.
    package var hostHeader: String { (host.contains(":") ? "[\(host)]" : host) + (port == (usesTLS ? 443 : 80) ? "" : ":\(port)") }

    package var description: String { (usesTLS ? "https://" : "http://") + hostHeader + basePath }
}
