import Foundation
import HTTPWire
import LoadEngine
import NIOCore
import NIOHTTP1
import NIOPosix
import Steps
import Synchronization

/// A local HTTP server for engine tests: fast, slow and stalling endpoints, and a count of the
/// requests it answered. It answers on its own event loop thread (plain SwiftNIO, no tasks), so
/// the other tests running in this process cannot starve it.
final class TestTarget: Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: any Channel
    let answered = Atomic(0)
    /// Connections accepted (a run's probe connects before its schedule starts).
    let connections = Atomic(0)
    /// While set, /stall holds every request arriving in this window (seconds since the first
    /// /stall request, so a run that starts late on a busy machine still meets the stall).
    let stall = Mutex<ClosedRange<Double>?>(nil)
    /// When the first /stall request arrived (seconds since the target started).
    let firstStall = Mutex<Double?>(nil)
    let started = MonotonicClock.now()

    private init(group: MultiThreadedEventLoopGroup, channel: any Channel) {
        self.group = group
        self.channel = channel
    }

    var url: String { "http://127.0.0.1:\(channel.localAddress?.port ?? 0)" }
    var target: TargetURL { TargetURL(url)! }
    func elapsed() -> Double { Double(MonotonicClock.now() - started) / 1e9 }

    static func start() async throws -> TestTarget {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let box = TargetBox()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                box.target?.connections.add(1, ordering: .relaxed)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(TestTargetHandler(box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let target = TestTarget(group: group, channel: channel)
        box.set(target)
        return target
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// Lets handlers reach the target they belong to once it exists.
final class TargetBox: Sendable {
    private let value = Mutex<TestTarget?>(nil)
    var target: TestTarget? { value.withLock { $0 } }
    func set(_ target: TestTarget) { value.withLock { $0 = target } }
}

/// Routes: /fast, /items/ID, /slow (200 ms), /status/CODE, /stall (held during the stall window), /redos (text a
/// regular expression like ^(a|aa)+$ takes long to reject).
final class TestTargetHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let box: TargetBox
    private var uri = ""

    init(box: TargetBox) { self.box = box }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): uri = head.uri
        case .body: break
        case .end: route(context: context)
        }
    }

    private func route(context: ChannelHandlerContext) {
        let parts = uri.split(separator: "/").map(String.init)
        var delay = 0.0
        var status = HTTPResponseStatus.ok
        var body = ""
        switch parts.first {
        case "fast": body = #"{"id": 7, "status": "ok"}"#
        case "redos": body = #"{"text": "\#(String(repeating: "a", count: 34))b"}"#
        case "items": body = #"{"id": "\#(parts.count > 1 ? parts[1] : "?")"}"#
        case "slow": delay = 0.2
        case "status": status = HTTPResponseStatus(statusCode: Int(parts.count > 1 ? parts[1] : "500") ?? 500)
        case "stall":
            if let target = box.target, let window = target.stall.withLock({ $0 }) {
                let now = target.elapsed()
                let sinceFirst = now - target.firstStall.withLock { first in
                    let value = first ?? now
                    first = value
                    return value
                }
                if window.contains(sinceFirst) { delay = window.upperBound - sinceFirst }
            }
        default: status = .notFound
        }
        let respond = { [box] in
            box.target?.answered.add(1, ordering: .relaxed)
            var headers = HTTPHeaders([("Content-Length", String(body.utf8.count))])
            if !body.isEmpty { headers.add(name: "Content-Type", value: "application/json") }
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            if !body.isEmpty { context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil) }
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        }
        if delay > 0 {
            context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) { respond() }
        } else {
            respond()
        }
    }
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
