import Foundation
import Hummingbird
import LoadEngine
import ServerRuntime
import Synchronization

/// A local HTTP server for engine tests: fast, slow and stalling endpoints, and a count of
/// the requests it answered.
final class TestTarget: Sendable {
    let server: RunningServer
    let answered = Atomic(0)
    /// While set (seconds since the target started), /stall holds every request until the window ends.
    let stall = Mutex<ClosedRange<Double>?>(nil)
    let started = ContinuousClock.now

    private init(server: RunningServer) { self.server = server }

    var url: String { server.url }
    var target: TargetURL { TargetURL(server.url)! }

    func elapsed() -> Double {
        let d = ContinuousClock.now - started
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func start() async throws -> TestTarget {
        let router = Router()
        // Built first so the routes can share it.
        let box = Box()
        router.get("/fast") { _, _ in
            box.target?.answered.add(1, ordering: .relaxed)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"id": 7, "status": "ok"}"#)))
        }
        router.get("/items/:id") { _, context in
            box.target?.answered.add(1, ordering: .relaxed)
            let id = context.parameters.get("id") ?? "?"
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"id": "\#(id)"}"#)))
        }
        router.get("/slow") { _, _ in
            try await Task.sleep(for: .milliseconds(200))
            box.target?.answered.add(1, ordering: .relaxed)
            return Response(status: .ok)
        }
        router.get("/status/:code") { _, context in
            box.target?.answered.add(1, ordering: .relaxed)
            return Response(status: .init(code: Int(context.parameters.get("code") ?? "500") ?? 500))
        }
        router.get("/stall") { _, _ in
            if let target = box.target, let window = target.stall.withLock({ $0 }), window.contains(target.elapsed()) {
                try await Task.sleep(for: .milliseconds(Int((window.upperBound - target.elapsed()) * 1000)))
            }
            box.target?.answered.add(1, ordering: .relaxed)
            return Response(status: .ok)
        }
        let server = try await RunningServer.start(name: "test-target", router: router, host: "127.0.0.1", port: 0)
        let target = TestTarget(server: server)
        box.set(target)
        return target
    }

    func stop() async { await server.stop() }
}

/// Lets routes reach the target they belong to once it exists.
private final class Box: Sendable {
    private let value = Mutex<TestTarget?>(nil)
    var target: TestTarget? { value.withLock { $0 } }
    func set(_ target: TestTarget) { value.withLock { $0 = target } }
}

/// Runs `body` with a fresh target, stopping it afterwards.
func withTarget(_ body: (TestTarget) async throws -> Void) async throws {
    let target = try await TestTarget.start()
    do { try await body(target) } catch {
        await target.stop()
        throw error
    }
    await target.stop()
}

/// A profile read from YAML text (problems fail the test).
func profile(_ yaml: String, target: TestTarget) throws -> LoadProfile {
    var profile = try ProfileLoader.parse(yaml, file: "test.yaml")
    profile.target = target.url
    return profile
}
