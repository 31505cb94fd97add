import Foundation
import TestSupport
import Testing
import TransportHTTP

@Suite struct HTTPClientTests {
    @Test func sendsMethodHeadersAndBodyAndReadsTheResponse() async throws {
        try await onItsOwnThread {
            let server = try TestHTTPServer()
            defer { server.stop() }
            let client = HTTPClient()
            let response = try client.send(HTTPClientRequest(
                method: "POST", url: server.baseURL + "/api/v1/orders?x=1",
                headers: [("Content-Type", "application/json"), ("Idempotency-Key", "k-1")],
                body: Array(#"{"items":[1,2]}"#.utf8)))
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            #expect(response.headers.filter { $0.name == "Set-Cookie" }.map(\.value) == ["a=1", "b=2"])
            let echo = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
            #expect(echo["method"] as? String == "POST")
            #expect(echo["target"] as? String == "/api/v1/orders?x=1")
            #expect(echo["body"] as? String == #"{"items":[1,2]}"#)
            let headers = try #require(echo["headers"] as? [String: String])
            #expect(headers["idempotency-key"] == "k-1")
            #expect(headers["expect"] == nil)
            #expect(response.elapsed > 0)
        }
    }

    @Test(arguments: ["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
    func everyMethodArrivesAsAsked(method: String) async throws {
        try await onItsOwnThread {
            let server = try TestHTTPServer()
            defer { server.stop() }
            let response = try HTTPClient().send(HTTPClientRequest(method: method, url: server.baseURL + "/m", body: method == "PUT" ? [1, 2] : []))
            #expect(response.header("X-Echo-Method") == method)
        }
    }

    @Test func errorStatusesAreResponsesNotErrors() async throws {
        try await onItsOwnThread {
            let server = try TestHTTPServer()
            defer { server.stop() }
            #expect(try HTTPClient().send(HTTPClientRequest(url: server.baseURL + "/status/503")).status == 503)
        }
    }

    @Test func keepsTheConnectionAliveAcrossRequests() async throws {
        try await onItsOwnThread {
            let server = try TestHTTPServer()
            defer { server.stop() }
            let client = HTTPClient()
            for i in 0..<20 {
                _ = try client.send(HTTPClientRequest(method: i.isMultiple(of: 2) ? "GET" : "POST", url: server.baseURL + "/r/\(i)", body: i.isMultiple(of: 2) ? [] : [65]))
            }
            #expect(client.connectionsOpened == 1)
            #expect(server.connectionsAccepted == 1)
        }
    }

    @Test func timeoutIsAnErrorThatSaysSo() async throws {
        try await onItsOwnThread {
            let server = try TestHTTPServer()
            defer { server.stop() }
            let error = #expect(throws: HTTPClientError.self) {
                try HTTPClient().send(HTTPClientRequest(url: server.baseURL + "/sleep/1500", timeout: 0.2))
            }
            #expect(error?.kind == .timeout)
        }
    }

    @Test func unreachableHostIsAConnectionError() async throws {
        try await onItsOwnThread {
            // Port 1 on loopback: nothing listens there.
            let error = #expect(throws: HTTPClientError.self) { try HTTPClient().send(HTTPClientRequest(url: "http://127.0.0.1:1/", timeout: 2)) }
            #expect(error?.kind == .connectionFailed)
            #expect(error?.description.contains("127.0.0.1:1") == true)
        }
    }

    @Test func poolServesConcurrentTasks() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let pool = HTTPClientPool()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<40 { group.addTask { try await pool.send(HTTPClientRequest(url: server.baseURL + "/status/\(200 + i % 3)")).status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.sorted() == (0..<40).map { 200 + $0 % 3 }.sorted())
        // The connections the burst opened stay alive: twenty more requests, one at a time, open none.
        let opened = server.connectionsAccepted
        for _ in 0..<20 { #expect(try await pool.send(HTTPClientRequest(url: server.baseURL + "/status/204")).status == 204) }
        #expect(server.connectionsAccepted == opened)
    }
}
