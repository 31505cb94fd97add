import ArgumentParser
import Foundation
import Steps

/// How `https://` targets are connected to, from the command line (as curl spells it); each flag
/// wins over the profile's or flow's `tls:`.
struct TLSOptions: ParsableArguments {
    @Option(name: .customLong("cacert"), help: "HTTPS: trust the certificate authorities in this PEM file instead of the system's.") var caFile: String?
    @Option(name: .customLong("cert"), help: "HTTPS: a client certificate (PEM) for mutual TLS; needs --key.") var certFile: String?
    @Option(name: .customLong("key"), help: "HTTPS: the client certificate's private key (PEM).") var keyFile: String?
    @Option(name: .customLong("tls-server-name"), help: "HTTPS: the name sent as SNI and expected in the certificate, instead of the URL's host.")
    var serverName: String?
    @Flag(name: .customLong("insecure"), help: "HTTPS: accept any certificate (self-signed, expired, another name). Printed in the console and the report.")
    var insecureSkipVerify = false

    var settings: TLSSettings {
        TLSSettings(caFile: caFile, certFile: certFile, keyFile: keyFile, serverName: serverName, insecureSkipVerify: insecureSkipVerify)
    }

    /// Problems with the flags, each naming its flag.
    var problems: [String] {
        let flags = ["tls.ca_file": "--cacert", "tls.cert_file": "--cert", "tls.key_file": "--key", "tls.server_name": "--tls-server-name"]
        return settings.problems("tls").map { "\(flags[$0.field] ?? $0.field): \($0.message)" }
    }
}

extension TLSSettings {
    /// The console's line about TLS for a run against `target` (nil over plain HTTP).
    func consoleLine(for target: TargetURL) -> String? {
        guard target.usesTLS else { return nil }
        if insecureSkipVerify { return "WARNING: TLS certificate verification is OFF (--insecure / insecure_skip_verify): any certificate is accepted" }
        return "TLS: " + (summary ?? "certificates verified against the system's trust store")
    }
}
