import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A Hummingbird server listening on a port, started with `RunningServer.start` and
/// stopped gracefully with `stop()`. The reference services and the stub server both run on it.
public final class RunningServer: Sendable {
    public let name: String
    public let host: String
    public let port: Int
    private let task: Task<Void, any Error>
    private let group: ServiceGroup

    public var url: String { "http://\(host):\(port)" }

    private init(name: String, host: String, port: Int, task: Task<Void, any Error>, group: ServiceGroup) {
        self.name = name
        self.host = host
        self.port = port
        self.task = task
        self.group = group
    }

    /// Starts `router` on `host:port` (port 0 picks a free one) and returns once it listens.
    /// Logs at warning level unless `LOG_LEVEL` says otherwise, to `log` when given.
    public static func start<Context>(name: String, router: Router<Context>, host: String, port: Int, log: LogDestination? = nil) async throws -> RunningServer
    where Context: InitializableFromSource<ApplicationRequestContextSource> {
        let logger = LogDestination.logger(name, to: log)
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
            do { try await task.value } catch { throw ServerStartError(name: name, host: host, port: port, reason: "\(error)") }
            throw ServerStartError(name: name, host: host, port: port, reason: "the server stopped before listening")
        }
        return RunningServer(name: name, host: host, port: bound, task: task, group: group)
    }

    /// Stops accepting requests and lets in-flight ones finish for up to `seconds`; then cancels
    /// the server, which ends the requests still running.
    public func stop(within seconds: Double = 5) async {
        await group.triggerGracefulShutdown()
        let task = self.task
        let deadline = Task {
            try await Task.sleep(for: .seconds(seconds))
            task.cancel()
        }
        _ = try? await task.value
        deadline.cancel()
    }
}

/// A server that could not start (typically: the port is taken).
public struct ServerStartError: Error, CustomStringConvertible {
    public let name: String, host: String, port: Int, reason: String

    public init(name: String, host: String, port: Int, reason: String) {
        self.name = name
        self.host = host
        self.port = port
        self.reason = reason
    }

    public var description: String { "\(name) could not listen on \(host):\(port): \(reason)" }
}
