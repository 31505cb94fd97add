public import Foundation

/// Certificates a test makes with `openssl`: a CA, a server certificate it signed for some
/// names, a client certificate it signed, and a self-signed server certificate.
public struct TestCertificates: Sendable {
    public let folder: URL
    public var caFile: String { folder.appendingPathComponent("ca.pem").path }
    public var serverCert: String { folder.appendingPathComponent("server.pem").path }
    public var serverKey: String { folder.appendingPathComponent("server.key").path }
    public var clientCert: String { folder.appendingPathComponent("client.pem").path }
    public var clientKey: String { folder.appendingPathComponent("client.key").path }
    public var selfSignedCert: String { folder.appendingPathComponent("self.pem").path }
    public var selfSignedKey: String { folder.appendingPathComponent("self.key").path }
    /// The server certificate's twin (same names, same key) that expired yesterday.
    public var expiredCert: String { folder.appendingPathComponent("expired.pem").path }

    /// Makes them in `folder`: the server certificate names `serverNames` (DNS names, or IP
    /// addresses when they parse as one).
    public init(in folder: URL, serverNames: [String] = ["localhost", "127.0.0.1"]) throws {
        self.folder = folder
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func openssl(_ arguments: [String]) throws {
            let child = try ChildProcess("/usr/bin/openssl", arguments, directory: folder.path)
            let output = child.readToEnd()
            let (code, signalled) = child.wait()
            guard code == 0, !signalled else {
                throw ChildProcess.SpawnError(description: "openssl \(arguments.joined(separator: " ")) failed: \(output.err)")
            }
        }
        // P-256 keys: made in a millisecond where RSA-2048 took a tenth of a second of the suite's CPU each.
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + key + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Tollgate Test CA"])
        let alternatives = serverNames.map { name in name.split(separator: ".").count == 4 && name.allSatisfy({ $0.isNumber || $0 == "." }) ? "IP:\(name)" : "DNS:\(name)" }
        try "subjectAltName=\(alternatives.joined(separator: ","))\n".write(to: folder.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try openssl(["req"] + key + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=\(serverNames.first ?? "server")"])
        try openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"])
        try openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "expired.pem", "-days", "-1", "-extfile", "server.ext"])
        try openssl(["req"] + key + ["-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=tollgate-load"])
        try openssl(["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "2"])
        try openssl(["req", "-x509"] + key + ["-keyout", "self.key", "-out", "self.pem", "-days", "2", "-subj", "/CN=localhost",
                     "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
    }
}

/// nginx on 127.0.0.1 speaking TLS with the given certificate, answering every request with
/// `{"ok":true}`.
public struct TLSServerOptions: Sendable {
    public var certificate: String
    public var key: String
    /// A CA file: clients must show a certificate it signed (mutual TLS).
    public var clientCA: String?
    /// Close the connection after each response, so each request makes a new TLS connection.
    public var closeEachConnection = false

    public init(certificate: String, key: String, clientCA: String? = nil, closeEachConnection: Bool = false) {
        self.certificate = certificate
        self.key = key
        self.clientCA = clientCA
        self.closeEachConnection = closeEachConnection
    }
}

/// Where `withTLSServer` keeps the logs of its server on `port`.
public func tlsServerLogs(_ folder: URL, port: Int) -> URL { folder.appendingPathComponent("nginx-\(port)") }

/// Whether Debian's nginx is installed (`make test` installs it).
public var nginxAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") }

/// Runs nginx with TLS on a free port while `body` runs (given the port and nginx's process, to
/// signal a reload), then stops it. Each request is logged in `nginx-PORT/access.log` as
/// "r TLSv1.3" (a resumed session) or ". TLSv1.3" (a full handshake).
public func withTLSServer(_ options: TLSServerOptions, in folder: URL, _ body: (_ port: Int, _ nginx: ChildProcess) async throws -> Void) async throws {
    let port = freePort()
    let logs = tlsServerLogs(folder, port: port)
    try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
    let config = """
        worker_processes 1;
        daemon off;
        pid \(logs.path)/nginx.pid;
        error_log \(logs.path)/error.log;
        events { worker_connections 4096; }
        http {
          log_format reuse '$ssl_session_reused $ssl_protocol';
          access_log \(logs.path)/access.log reuse;
          client_body_temp_path \(logs.path);
          proxy_temp_path \(logs.path);
          fastcgi_temp_path \(logs.path);
          uwsgi_temp_path \(logs.path);
          scgi_temp_path \(logs.path);
          server {
            listen 127.0.0.1:\(port) ssl;
            ssl_certificate \(options.certificate);
            ssl_certificate_key \(options.key);
            ssl_protocols TLSv1.2 TLSv1.3;
            \(options.clientCA.map { "ssl_client_certificate \($0);\n    ssl_verify_client on;" } ?? "")
            keepalive_timeout \(options.closeEachConnection ? "0" : "60s");
            keepalive_requests 1000000;
            location / { default_type application/json; return 200 '{"ok":true}'; }
          }
        }
        """
    let file = logs.appendingPathComponent("nginx.conf")
    try config.write(to: file, atomically: true, encoding: .utf8)
    let nginx = try ChildProcess("/usr/sbin/nginx", ["-e", logs.appendingPathComponent("error.log").path, "-p", logs.path, "-c", file.path],
                                 captureOutput: false, captureError: false)
    defer {
        nginx.send(SIGTERM)
        nginx.wait()
    }
    guard await eventually(timeout: 10, { acceptsConnections(port: port) }) else {
        let log = (try? String(contentsOf: logs.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
        throw ChildProcess.SpawnError(description: "nginx did not listen on 127.0.0.1:\(port) within 10 s: \(log)")
    }
    try await body(port, nginx)
}
