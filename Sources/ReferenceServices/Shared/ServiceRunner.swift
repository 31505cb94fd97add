import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A service's router with what every service answers: `/health`, `/ready`, `/metrics`,
/// correlation ids, request metrics and the standard error body.
func makeServiceRouter(name: String, metrics: MetricsRegistry, options: ServiceOptions = ServiceOptions(),
                       readiness: [String: @Sendable () async -> Bool]) -> Router<ServiceContext> {
    let router = Router(context: ServiceContext.self)
    router.add(middleware: MetricsMiddleware(registry: metrics))
    router.add(middleware: CorrelationMiddleware())
    router.add(middleware: ErrorMiddleware())
    let breakages = options.breakages(for: name)
    if !breakages.isEmpty { router.add(middleware: BreakageMiddleware(breakages: breakages)) }
    router.get("/health") { _, _ in try JSON.response(["status": "ok", "service": name]) }
    router.get("/ready") { _, _ in
        var checks: [String: String] = [:]
        for (dependency, check) in readiness { checks[dependency] = await check() ? "up" : "down" }
        let ready = !checks.values.contains("down")
        return try JSON.response(ReadyBody(status: ready ? "ready" : "not_ready", service: name, checks: checks),
                                 status: ready ? .ok : .serviceUnavailable)
    }
    router.get("/metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                 body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
    }
    return router
}

struct ReadyBody: Codable { let status: String; let service: String; let checks: [String: String] }

/// A service listening on a port, started with `RunningService.start`.
public final class RunningService: Sendable {
    public let name: String
    public let host: String
    public let port: Int
    private let task: Task<Void, any Error>
    private let group: ServiceGroup

    public var url: String { "http://\(host):\(port)" }

    init(name: String, host: String, port: Int, task: Task<Void, any Error>, group: ServiceGroup) {
        self.name = name
        self.host = host
        self.port = port
        self.task = task
        self.group = group
    }

    /// Starts `router` on `host:port` (port 0 picks a free one) and returns once it listens.
    static func start(name: String, router: Router<ServiceContext>, host: String, port: Int) async throws -> RunningService {
        var logger = Logger(label: name)
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: name),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? port)
                continuation.finish()
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            do { try await group.run() } catch {
                continuation.finish()
                throw error
            }
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else {
            do { try await task.value } catch { throw ServiceStartError(name: name, host: host, port: port, reason: "\(error)") }
            throw ServiceStartError(name: name, host: host, port: port, reason: "the server stopped before listening")
        }
        return RunningService(name: name, host: host, port: bound, task: task, group: group)
    }

    /// Stops accepting requests, lets in-flight ones finish, and returns when the server is down.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// A service that could not start (typically: the port is taken).
public struct ServiceStartError: Error, CustomStringConvertible {
    public let name: String, host: String, port: Int, reason: String
    public var description: String { "\(name) could not listen on \(host):\(port): \(reason)" }
}
