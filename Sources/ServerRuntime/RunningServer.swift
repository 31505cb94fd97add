import Foundation
package import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// A Hummingbird server listening on a port, started with `RunningServer.start` and
/// stopped gracefully with `stop()`. The reference services and the stub server both run on it.
package final class RunningServer: Sendable {
    package let name: String
    package let host: String
    package let port: Int
    private let task: Task<Void, any Error>
    private let group: ServiceGroup
    private let listener: any Channel

    package var url: String { "http://\(host):\(port)" }

    private init(name: String, host: String, port: Int, task: Task<Void, any Error>, group: ServiceGroup, listener: any Channel) {
        self.name = name
        self.host = host
        self.port = port
        self.task = task
        self.group = group
        self.listener = listener
    }

    /// Starts `router` on `host:port` (port 0 picks a free one) and returns once it listens.
    /// Logs at warning level unless `LOG_LEVEL` says otherwise, to `log` when given.
    package static func start<Context>(name: String, router: Router<Context>, host: String, port: Int, log: LogDestination? = nil) async throws -> RunningServer
    where Context: InitializableFromSource<ApplicationRequestContextSource> {
        let logger = LogDestination.logger(name, to: log)
        let (listeners, continuation) = AsyncStream<any Channel>.makeStream()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: name),
            onServerRunning: { channel in
                continuation.yield(channel)
                continuation.finish()
            },
            eventLoopGroupProvider: .shared(eventLoops),
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            do { try await group.run() } catch {
                continuation.finish()
                throw error
            }
        }
        var iterator = listeners.makeAsyncIterator()
        guard let listener = await iterator.next() else {
            do { try await task.value } catch { throw ServerStartError(name: name, host: host, port: port, reason: "\(error)") }
            throw ServerStartError(name: name, host: host, port: port, reason: "the server stopped before listening")
        }
        return RunningServer(name: name, host: host, port: listener.localAddress?.port ?? port, task: task, group: group, listener: listener)
    }

    /// Stops accepting requests and lets in-flight ones finish for up to `seconds`; then cancels
    /// the server, which ends the requests still running. Whatever `seconds` says, the server
    /// has `drain` after its listener closed to take up the connections it had accepted.
    package func stop(within seconds: Double = 5) async {
        await turnAwayNewConnections()
        // The server's graceful shutdown closes the listener itself (had it been closed here, the
        // shutdown would log "Server shutdown error: Already closed" whenever it came second).
        await group.triggerGracefulShutdown()
        let task = self.task
        let deadline = Task {
            try await Task.sleep(for: .seconds(max(seconds, Self.drain)))
            task.cancel()
        }
        _ = try? await task.value
        deadline.cancel()
    }

    /// Readies the listener to close with no connection caught half-way: a connection accepted
    /// while the listener closes is dropped before the server takes it up, and SwiftNIO traps
    /// when it becomes active ("Deinited NIOAsyncWriter without calling finish()",
    /// apple/swift-nio#2813 and #3481, both open). So a first handler on the listener turns away
    /// (closes) every connection accepted from then on, before the server sets it up; returns
    /// once the connections accepted before have finished their set-up.
    private func turnAwayNewConnections() async {
        let listener = self.listener
        let loop = listener.eventLoop
        let loops = Array(Self.eventLoops.makeIterator())
        // What was accepted before the handler went in reaches the server's queue after two
        // round trips between the listener's event loop and its connection's (the channel's
        // options, then the server's set-up, each on the connection's loop): a task on every
        // loop, then one on the listener's, twice over, runs after all of it. One chain of
        // futures, awaited once: a busy cooperative pool resumes this task late.
        let roundTrip: @Sendable () -> EventLoopFuture<Void> = {
            EventLoopFuture.andAllComplete(loops.map { $0.submit {} }, on: loop).flatMap { loop.submit {} }
        }
        let settled = listener.pipeline.addHandler(TurnAway(), position: .first)
            .flatMap { roundTrip() }
            .flatMap { roundTrip() }
        try? await settled.get()
    }

    /// How long a stopping server has, after its listener closed, to take up the connections
    /// it had accepted before it may be cancelled.
    package static let drain = 1.0

    /// The event loops every server and its connections run on.
    private static var eventLoops: MultiThreadedEventLoopGroup { .singleton }
}

/// The first handler of a stopping server's listener: closes each connection it accepts, so
/// none reaches the server's set-up.
private final class TurnAway: ChannelInboundHandler, Sendable {
    typealias InboundIn = any Channel

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        Self.unwrapInboundIn(data).close(promise: nil)
    }
}

/// A server that could not start (typically: the port is taken).
package struct ServerStartError: Error, CustomStringConvertible {
    package let name: String, host: String, port: Int, reason: String

    package init(name: String, host: String, port: Int, reason: String) {
        self.name = name
        self.host = host
        self.port = port
        self.reason = reason
    }

    package var description: String { "\(name) could not listen on \(host):\(port): \(reason)" }
}
