package import NIOCore
import Steps

/// The keep-alive connection a flow uses step after step, awaited one request at a time.
package final class FlowConnection: ResponseReceiver, @unchecked Sendable {
    // Safe: every mutable property is read and written on `loop` only.
    private let loop: WireLoop
    private let connection: KeptConnection
    private var waiting: CheckedContinuation<Result<CollectedResponse, RequestFailure>, Never>?
    private var timeoutTask: Scheduled<Void>?

    package init(loop: WireLoop, connector: Connector) {
        self.loop = loop
        connection = KeptConnection(loop: loop, connector: connector)
    }

    package func send(_ bytes: ByteBuffer, methodIsHead: Bool, timeout: Double) async -> Result<CollectedResponse, RequestFailure> {
        await withCheckedContinuation { continuation in
            loop.execute { self.start(bytes, methodIsHead: methodIsHead, timeout: timeout, continuation) }
        }
    }

    private func start(_ bytes: ByteBuffer, methodIsHead: Bool, timeout: Double,
                       _ continuation: CheckedContinuation<Result<CollectedResponse, RequestFailure>, Never>) {
        waiting = continuation
        connection.acquire(for: self, ready: { wire in self.write(bytes, methodIsHead: methodIsHead, timeout: timeout, wire) },
                           failed: { failure in self.finish(.failure(failure)) })
    }

    private func write(_ bytes: ByteBuffer, methodIsHead: Bool, timeout: Double, _ wire: WireConnection) {
        wire.expect(methodIsHead: methodIsHead, keepHeaders: true, keepBody: true)
        timeoutTask = loop.scheduleTask(in: .nanoseconds(Int64(min(MonotonicClock.nanoseconds(timeout), UInt64(Int64.max))))) {
            wire.abandon(RequestFailure(kind: .timeout, message: "no response within \(DurationText.describe(timeout))"))
        }
        wire.send(bytes)
    }

    package func received(_ result: Result<CollectedResponse, RequestFailure>) {
        if case .failure = result { connection.drop() } else if !connection.isReusable { connection.drop() }
        finish(result)
    }

    private func finish(_ result: Result<CollectedResponse, RequestFailure>) {
        timeoutTask?.cancel()
        timeoutTask = nil
        let continuation = waiting
        waiting = nil
        continuation?.resume(returning: result)
    }

    package func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                self.connection.drop()
                continuation.resume()
            }
        }
    }
}
