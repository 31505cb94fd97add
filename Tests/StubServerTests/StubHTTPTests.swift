import ContractCore
import Foundation
import StubServer
import TestSupport
import Testing
import TransportHTTP

/// The stub's HTTP/1.1 server as clients meet it on the wire: keep-alive and pipelining, HEAD,
/// limits, malformed requests, its own endpoints, and a stop that closes idle connections.
@Suite struct StubHTTPTests {
    static let pact = #"""
    {"consumer": {"name": "web-app"}, "provider": {"name": "catalog-service"},
     "interactions": [
       {"type": "Synchronous/HTTP", "description": "product 7",
        "request": {"method": "GET", "path": "/api/v1/products/7"},
        "response": {"status": 200, "body": {"content": {"id": 7, "stock": 12}, "contentType": "application/json"}}},
       {"type": "Synchronous/HTTP", "description": "a note is kept",
        "request": {"method": "POST", "path": "/api/v1/notes", "headers": {"Content-Type": "application/json"},
                    "body": {"content": {"text": "x"}, "contentType": "application/json"},
                    "matchingRules": {"body": {"$.text": {"combine": "AND", "matchers": [{"match": "type"}]}}}},
        "response": {"status": 201}}],
     "metadata": {"pactSpecification": {"version": "4.0"}}}
    """#

    static func served(configure: (inout StubConfiguration) -> Void = { _ in }, _ body: (StubServer) async throws -> Void) async throws {
        try await withStub([(try Pact(json: Array(pact.utf8)), "inline")], configure: configure) { stub, _ in try await body(stub) }
    }

    /// Status lines of every response in a raw exchange, in order.
    static func statuses(_ exchange: String) -> [String] {
        exchange.matches(of: /HTTP\/1\.1 [0-9]{3} [^\r]*/).map { String($0.output) }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderOnOneConnection() async throws {
        try await Self.served { stub in
            let note = #"{"text": "hello"}"#
            let requests = "GET /api/v1/products/7 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /api/v1/products/8 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /api/v1/notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(note.utf8.count)\r\nConnection: close\r\n\r\n\(note)"
            let port = stub.port
            let exchange = await offThePool { rawHTTPExchange(port: port, requests) }
            #expect(Self.statuses(exchange) == ["HTTP/1.1 200 OK", "HTTP/1.1 500 Internal Server Error", "HTTP/1.1 201 Created"], "\(exchange)")
            #expect(exchange.contains(#"{"id":7,"stock":12}"#))
            #expect(exchange.lowercased().contains("connection: close"), "the last answer says the connection closes")
        }
    }

    @Test func aHeadRequestGetsTheLengthButNoBody() async throws {
        try await Self.served { stub in
            let port = stub.port
            let exchange = await offThePool { rawHTTPExchange(port: port, "HEAD /__tollgate/interactions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") }
            let parts = exchange.components(separatedBy: "\r\n\r\n")
            #expect(Self.statuses(exchange) == ["HTTP/1.1 200 OK"], "\(exchange)")
            #expect(exchange.lowercased().contains("content-length: ") && !exchange.lowercased().contains("content-length: 0"))
            #expect(parts.count == 2 && parts[1].isEmpty, "no body after the head: \(exchange)")
        }
    }

    @Test func aBodyOverTheLimitIs413AndAMalformedRequestIs400() async throws {
        try await Self.served(configure: { $0.maxBodyBytes = 1_000 }) { stub in
            let port = stub.port
            let big = String(repeating: "a", count: 2_000)
            let tooLarge = await offThePool {
                rawHTTPExchange(port: port, "POST /api/v1/notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n\(big)")
            }
            #expect(Self.statuses(tooLarge) == ["HTTP/1.1 413 Payload Too Large"], "\(tooLarge)")
            #expect(tooLarge.contains("over 1000 bytes"))
            let malformed = await offThePool { rawHTTPExchange(port: port, "GET /api/v1/products/7 HTTP/1.1\r\nHost x\r\n\r\n") }
            #expect(Self.statuses(malformed) == ["HTTP/1.1 400 Bad Request"], "\(malformed)")
        }
    }

    @Test func theStubsOwnEndpointsAnswerGetOnly() async throws {
        try await Self.served { stub in
            let client = HTTPClientPool()
            #expect(try await client.send(HTTPClientRequest(url: stub.url + "/__tollgate/nothing")).status == 404)
            let post = try await client.send(HTTPClientRequest(method: "POST", url: stub.url + "/__tollgate/requests"))
            #expect(post.status == 405 && post.header("Allow") == "GET, HEAD")
            let listed = json(try await client.send(HTTPClientRequest(url: stub.url + "/__tollgate/interactions")))
            #expect((listed["interactions"] as? [[String: Any]])?.map { $0["description"] as? String } == ["product 7", "a note is kept"])
        }
    }

    /// A body past the size matched on the event loop is matched on the pool and answered the same way.
    @Test func aLargeBodyIsMatchedAndAnswered() async throws {
        try await Self.served { stub in
            let client = HTTPClientPool()
            let text = String(repeating: "n", count: 200_000)
            let kept = try await client.send(HTTPClientRequest(method: "POST", url: stub.url + "/api/v1/notes", headers: [("Content-Type", "application/json")],
                                                               body: Array(#"{"text": "\#(text)"}"#.utf8)))
            #expect(kept.status == 201)
            let refused = try await client.send(HTTPClientRequest(method: "POST", url: stub.url + "/api/v1/notes", headers: [("Content-Type", "application/json")],
                                                                  body: Array(#"{"text": 5, "pad": "\#(text)"}"#.utf8)))
            #expect(refused.status == 500 && json(refused)["closest"] as? String == "a note is kept")
        }
    }

    /// A client holding an idle keep-alive connection sees it closed when the stub stops.
    @Test func stoppingClosesIdleConnections() async throws {
        var configuration = StubConfiguration()
        configuration.port = 0
        let stub = try await StubServer.start(pacts: [(try Pact(json: Array(Self.pact.utf8)), "inline")], configuration: configuration)
        let port = stub.port
        let connection = try await offThePool { try KeptConnection(port: port) }
        let first = await offThePool { connection.exchange("GET /api/v1/products/7 HTTP/1.1\r\nHost: x\r\n\r\n") }
        #expect(first.hasPrefix("HTTP/1.1 200 OK"), "\(first)")
        await stub.stop()
        let closed = await offThePool { connection.waitForClose(within: 5) }
        #expect(closed, "the idle connection was closed")
        #expect(!acceptsConnections(port: port), "nothing listens")
    }
}

/// One TCP connection kept open across requests.
private final class KeptConnection: @unchecked Sendable {
    // Safe: each test uses it from one thread at a time (offThePool calls are awaited in turn).
    private let fd: Int32

    init(port: Int) throws {
        guard let fd = connectLoopback(port: port) else { throw POSIXError(.ECONNREFUSED) }
        self.fd = fd
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends a request and returns the first read of the answer.
    func exchange(_ request: String) -> String {
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : ""
    }

    /// Whether the server closes the connection (a read returns end of stream) within `seconds`.
    func waitForClose(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 1_024)
        while Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK { return true }
        }
        return false
    }
}
