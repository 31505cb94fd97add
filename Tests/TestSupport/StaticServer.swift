public import Foundation

/// Serves the files of `folder` on 127.0.0.1 with python's HTTP server while `body` runs (given
/// the port), then stops it. Throws when the server does not listen within 10 s.
public func withStaticServer(serving folder: URL, _ body: (_ port: Int) async throws -> Void) async throws {
    let port = freePort()
    let server = try ChildProcess("/usr/bin/python3", ["-m", "http.server", "--bind", "127.0.0.1", "--directory", folder.path, "\(port)"],
                                  captureOutput: false, captureError: false)
    defer {
        server.send(SIGTERM)
        server.wait()
    }
    guard await eventually(timeout: 10, { acceptsConnections(port: port) }) else {
        throw ChildProcess.SpawnError(description: "python3 -m http.server did not listen on 127.0.0.1:\(port) within 10 s")
    }
    try await body(port)
}
