import Foundation
package import Yams

/// How connections to an `https://` target are made: whom to trust, what certificate to show,
/// which name to expect. The default trusts the system's store and verifies the target's name.
package struct TLSSettings: Sendable, Equatable, Codable {
    /// PEM file of the certificate authorities trusted instead of the system's store.
    package var caFile: String?
    /// PEM client certificate (chain) for mutual TLS; needs `keyFile`.
    package var certFile: String?
    /// PEM private key of `certFile`.
    package var keyFile: String?
    /// The name sent as SNI and expected in the server's certificate, instead of the URL's host.
    package var serverName: String?
    /// Accept any certificate (self-signed, expired, another name). Never a default; printed
    /// in the console and in the report whenever it is on.
    package var insecureSkipVerify = false

    package init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, serverName: String? = nil, insecureSkipVerify: Bool = false) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.serverName = serverName
        self.insecureSkipVerify = insecureSkipVerify
    }

    /// These settings with what the command line gave on top (a flag wins over the file).
    package func overridden(by flags: TLSSettings) -> TLSSettings {
        var merged = self
        if let caFile = flags.caFile { merged.caFile = caFile }
        if let certFile = flags.certFile { merged.certFile = certFile }
        if let keyFile = flags.keyFile { merged.keyFile = keyFile }
        if let serverName = flags.serverName { merged.serverName = serverName }
        if flags.insecureSkipVerify { merged.insecureSkipVerify = true }
        return merged
    }

    /// What the console and the reports say about these settings, e.g.
    /// "certificate verification OFF (insecure_skip_verify)"; nil for the defaults.
    package var summary: String? {
        var parts: [String] = []
        if insecureSkipVerify { parts.append("certificate verification OFF (insecure_skip_verify)") }
        if let caFile { parts.append("CA file \(caFile)") }
        if let certFile { parts.append("client certificate \(certFile)") }
        if let serverName { parts.append("server name \(serverName)") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// Problems with the combination (each names its field under `field`).
    package func problems(_ field: String) -> [(field: String, message: String)] {
        var found: [(String, String)] = []
        if (certFile == nil) != (keyFile == nil) {
            found.append((certFile == nil ? "\(field).cert_file" : "\(field).key_file", "a client certificate needs both cert_file and key_file"))
        }
        if let serverName, !Self.isHostName(serverName) { found.append(("\(field).server_name", "'\(serverName.prefix(80))' is not a host name")) }
        for (key, path) in [("ca_file", caFile), ("cert_file", certFile), ("key_file", keyFile)] {
            guard let path else { continue }
            if !FileManager.default.isReadableFile(atPath: path) { found.append(("\(field).\(key)", "cannot read '\(path)'")) }
        }
        return found
    }

    static func isHostName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 253 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-_".contains($0)) }
    }

    enum CodingKeys: String, CodingKey {
        case caFile = "ca_file", certFile = "cert_file", keyFile = "key_file", serverName = "server_name", insecureSkipVerify = "insecure_skip_verify"
    }
}

extension NodeReader {
    /// `tls: {ca_file, cert_file, key_file, server_name, insecure_skip_verify}`; relative files
    /// are read from `directory` (the profile's or flow's own).
    package mutating func tlsSettings(_ node: Node?, _ field: String, directory: String) -> TLSSettings {
        guard let node, let entries = mapping(node, field, allowed: ["ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"]) else {
            return TLSSettings()
        }
        let values = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        func file(_ key: String) -> String? {
            guard let path = string(values[key], "\(field).\(key)"), !path.isEmpty else { return nil }
            return path.hasPrefix("/") ? path : URL(fileURLWithPath: directory).appendingPathComponent(path).path
        }
        let settings = TLSSettings(caFile: file("ca_file"), certFile: file("cert_file"), keyFile: file("key_file"),
                                   serverName: string(values["server_name"], "\(field).server_name"),
                                   insecureSkipVerify: bool(values["insecure_skip_verify"], "\(field).insecure_skip_verify") ?? false)
        for (place, message) in settings.problems(field) {
            problem(values[String(place.split(separator: ".").last ?? "")] ?? node, place, message)
        }
        return settings
    }
}
