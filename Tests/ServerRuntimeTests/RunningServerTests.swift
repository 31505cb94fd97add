import Foundation
import Glibc
import Hummingbird
import ServerRuntime
import Synchronization
import TestSupport
import Testing
import TransportHTTP

/// The server every reference service and the stub run on: it listens where asked, lets
/// requests in flight finish when stopped, and leaves no listener behind.
@Suite struct RunningServerTests {
    /// Where the servers of these tests log (a cut request is logged as an error by Hummingbird).
    static let log = LogDestination { _ in }

    /// Counts the slow requests the server has begun to handle.
    final class Started: Sendable {
        let count = Atomic(0)
        var any: Bool { count.load(ordering: .relaxed) > 0 }
    }

    static func router(slow seconds: Double, started: Started = Started()) -> Router<BasicRequestContext> {
        let router = Router()
        let name = UUID().uuidString
        router.get("/fast") { _, _ in "fast" }
        router.get("/name") { _, _ in name }
        router.get("/slow") { _, _ in
            started.count.add(1, ordering: .relaxed)
            try await Task.sleep(for: .seconds(seconds))
            return "slow"
        }
        return router
    }

    static func get(_ url: String, timeout: Double = 10) async throws -> HTTPClientResponse {
        try await HTTPClientPool().send(HTTPClientRequest(method: "GET", url: url, headers: [], body: [], timeout: timeout))
    }

    @Test func aRequestInFlightFinishesAndThenNothingListens() async throws {
        let started = Started()
        let server = try await RunningServer.start(name: "test", router: Self.router(slow: 1, started: started), host: "127.0.0.1", port: 0, log: Self.log)
        #expect(server.port > 0 && server.url == "http://127.0.0.1:\(server.port)")
        #expect(try await Self.get(server.url + "/fast").status == 200)
        let name = try await Self.get(server.url + "/name").body
        let inFlight = Task { try await Self.get(server.url + "/slow") }
        #expect(await eventually(timeout: 10) { started.any }, "the slow request is in flight")
        await server.stop(within: 10)
        let answered = try await inFlight.value
        #expect(answered.status == 200 && String(decoding: answered.body, as: UTF8.self) == "slow")
        // Nothing of this server answers once stop returns (another test's server may have taken the freed port).
        let after = try? await Self.get(server.url + "/name", timeout: 2)
        #expect(after == nil || after?.body != name, "the server still answered after stop")
    }

    @Test func stopCutsRequestsThatOutlastItsDeadline() async throws {
        let started = Started()
        let server = try await RunningServer.start(name: "test", router: Self.router(slow: 60, started: started), host: "127.0.0.1", port: 0, log: Self.log)
        let inFlight = Task { try await Self.get(server.url + "/slow", timeout: 90) }
        #expect(await eventually(timeout: 10) { started.any }, "the slow request is in flight")
        let stopping = Date()
        await server.stop(within: 0.5)
        // Well before the request's 60 s (a suite that loads both cores has delayed it by 12 s).
        #expect(Date().timeIntervalSince(stopping) < 30, "stop returned after its deadline, not after the request")
        let outcome = await inFlight.result
        if case .success(let response) = outcome { #expect(response.status != 200, "the cut request was not answered as if it had finished") }
    }

    @Test func aTakenPortIsAnErrorNamingIt() async throws {
        let first = try await RunningServer.start(name: "first", router: Self.router(slow: 0), host: "127.0.0.1", port: 0, log: Self.log)
        do {
            _ = try await RunningServer.start(name: "second", router: Self.router(slow: 0), host: "127.0.0.1", port: first.port, log: Self.log)
            Issue.record("a second server listened on \(first.port)")
        } catch let error as ServerStartError {
            #expect(error.description.contains("second could not listen on 127.0.0.1:\(first.port)"), "\(error)")
        }
        await first.stop()
    }

    /// Servers stopped together, as a stack stops, log nothing: stopping is not an error (the
    /// demo printed "Server shutdown error: Already closed" for most services it stopped).
    @Test func stoppingLogsNoError() async throws {
        let lines = Mutex<[String]>([])
        let log = LogDestination { line in lines.withLock { $0.append(line) } }
        for _ in 0..<5 {
            var servers: [RunningServer] = []
            for index in 0..<8 {
                let server = try await RunningServer.start(name: "quiet-\(index)", router: Self.router(slow: 0), host: "127.0.0.1", port: 0, log: log)
                #expect(try await Self.get(server.url + "/fast").status == 200)
                servers.append(server)
            }
            await withTaskGroup { group in
                for server in servers { group.addTask { await server.stop() } }
            }
        }
        #expect(lines.withLock { $0 }.isEmpty, "\(lines.withLock { $0 })")
    }

    /// Opens connections to `port` one after another on a thread of its own until stopped.
    final class Knocker: Sendable {
        private let stopped = Atomic(false)
        let connections = Atomic(0)

        init(port: Int) {
            Thread { [self] in
                while !stopped.load(ordering: .relaxed) {
                    if let socket = connectLoopback(port: port) {
                        connections.add(1, ordering: .relaxed)
                        close(socket)
                    }
                }
            }.start()
        }

        func stop() { stopped.store(true, ordering: .relaxed) }
    }

    /// A server stopped at once (its deadline already past) while a client keeps connecting:
    /// no connection accepted in between may trap the process.
    @Test func stoppingWhileClientsConnectNeverTraps() async throws {
        for _ in 0..<10 {
            let server = try await RunningServer.start(name: "test", router: Self.router(slow: 0), host: "127.0.0.1", port: 0, log: Self.log)
            let knocker = Knocker(port: server.port)
            #expect(await eventually(timeout: 10) { knocker.connections.load(ordering: .relaxed) > 3 }, "the client connects")
            await server.stop(within: 0)
            knocker.stop()
        }
    }
}
