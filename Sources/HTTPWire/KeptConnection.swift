import CWire
import Glibc
package import NIOCore
import NIOPosix
package import Steps
import Synchronization

/// A response as the connection collected it.
package struct CollectedResponse {
    package var status: Int
    /// Lower-case names; only when the step reads headers.
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]
}

/// Why a request got no response.
package struct RequestFailure: Error {
    package enum Kind { case connect, tls, timeout, reset, other }
    package let kind: Kind
    package let message: String

    package init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }
}

/// Who is told when a response (or its failure) arrives.
package protocol ResponseReceiver: AnyObject, Sendable {
    func received(_ result: Result<CollectedResponse, RequestFailure>)
}

/// A connection just opened and, over TLS, how long its handshake took.
package struct OpenedConnection {
    package let connection: WireConnection
    /// Nanoseconds; nil for plain HTTP.
    package let handshake: UInt64?
}

/// Opens keep-alive connections to the target on a given loop: TCP to the first address that
/// accepts, then TLS for an `https://` target; the future completes once the handshake is over
/// or fails with its `TLSFailure` (the whole opening gets `connectTimeout`).
package struct Connector: Sendable {
    package let target: TargetURL
    let connectTimeout: TimeAmount
    let tls: TLSClientContext?
    let addresses: AddressBook

    /// `tls` is required for an `https://` target and ignored for an `http://` one.
    package init(target: TargetURL, connectTimeout: TimeAmount, tls: TLSClientContext? = nil) {
        self.target = target
        self.connectTimeout = connectTimeout
        self.tls = target.usesTLS ? tls : nil
        addresses = AddressBook(host: target.host, port: target.port)
    }

    package func connect(on loop: WireLoop) -> EventLoopFuture<OpenedConnection> {
        let target = self.target
        if target.usesTLS, tls == nil {
            return loop.makeFailedFuture(TLSFailure(kind: .other, reason: "no TLS settings were given for \(target)"))
        }
        let tls = self.tls, timeout = connectTimeout
        return addresses.resolve(on: loop).flatMap { addresses in
            let promise = loop.makePromise(of: OpenedConnection.self)
            let connection = WireConnection(loop: loop, target: target, tls: tls)
            connection.open(addresses, timeout: timeout) { result in
                promise.completeWith(result.map { OpenedConnection(connection: connection, handshake: $0) })
            }
            return promise.futureResult
        }
    }
}

/// Where a target's host name points, looked up once (off the loop) and kept for the run: the
/// users connecting while the lookup runs wait for that one, rather than each asking the resolver.
final class AddressBook: Sendable {
    let host: String
    let port: Int
    private enum State {
        case unknown
        case resolving([EventLoopPromise<[SocketAddress]>])
        case known([SocketAddress])
    }
    private let state = Mutex(State.unknown)
    /// How many times the name was looked up: once a run, however many connect at the start.
    let lookUps = Atomic(0)

    init(host: String, port: Int) {
        self.host = host
        self.port = port
        if let literal = try? SocketAddress(ipAddress: host, port: port) { state.withLock { $0 = .known([literal]) } }
    }

    func resolve(on loop: any EventLoop) -> EventLoopFuture<[SocketAddress]> {
        enum Next { case answer([SocketAddress]), wait, lookUp }
        let promise = loop.makePromise(of: [SocketAddress].self)
        let next = state.withLock { state -> Next in
            switch state {
            case .known(let addresses): return .answer(addresses)
            case .resolving(let waiting):
                state = .resolving(waiting + [promise])
                return .wait
            case .unknown:
                state = .resolving([promise])
                return .lookUp
            }
        }
        switch next {
        case .answer(let addresses): promise.succeed(addresses)
        case .wait: break
        case .lookUp:
            lookUps.add(1, ordering: .relaxed)
            let host = self.host, port = self.port
            NIOThreadPool.singleton.submit { _ in
                let result = Result { try Self.lookUp(host, port: port) }
                // A failure is not kept: the next connection asks again.
                let waiting = self.state.withLock { state -> [EventLoopPromise<[SocketAddress]>] in
                    guard case .resolving(let waiting) = state else { return [] }
                    if case .success(let addresses) = result { state = .known(addresses) } else { state = .unknown }
                    return waiting
                }
                for waiter in waiting { waiter.completeWith(result) }
            }
        }
        return promise.futureResult
    }

    /// Every TCP address of `host`, in the resolver's order (it prefers what the machine can reach).
    private static func lookUp(_ host: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else { throw ConnectFailure(description: "\(host) could not be resolved: \(String(cString: gai_strerror(status)))") }
        defer { freeaddrinfo(list) }
        var found: [SocketAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry?.pointee {
            if let raw = current.ai_addr {
                switch current.ai_family {
                case AF_INET: found.append(raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: host) })
                case AF_INET6: found.append(raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: host) })
                default: break
                }
            }
            entry = current.ai_next
        }
        guard !found.isEmpty else { throw ConnectFailure(description: "\(host) has no TCP address") }
        return found
    }
}

/// The keep-alive connection a virtual user or a flow sends through, request after request:
/// reused while it is open and the last response allowed it, else replaced by a new one.
package final class KeptConnection: @unchecked Sendable {
    // Safe: created for one loop and only ever touched by code running on it.
    private let loop: WireLoop
    private let connector: Connector
    package private(set) var current: WireConnection?
    /// The TLS handshake of the connection `acquire` last opened, until taken.
    private var handshake: UInt64?

    package init(loop: WireLoop, connector: Connector) {
        self.loop = loop
        self.connector = connector
    }

    /// Whether the last response left the connection open for another request.
    package var isReusable: Bool { current?.reusable ?? false }

    /// Calls `ready` with a connection whose responses go to `receiver`: the kept one when it
    /// may be reused, else a new one (the old one closed). Once connected, a connection nobody
    /// wants any more (`wanted` false: the run halted meanwhile) is closed and `unwanted` called;
    /// `failed` says why no connection could be had.
    package func acquire(for receiver: any ResponseReceiver, wanted: @escaping @Sendable () -> Bool = { true },
                         ready: @escaping @Sendable (WireConnection) -> Void, unwanted: @escaping @Sendable () -> Void = {},
                         failed: @escaping @Sendable (RequestFailure) -> Void) {
        if isReusable, let current { return ready(current) }
        drop()
        connector.connect(on: loop).whenComplete { result in
            switch result {
            case .success(let opened):
                guard wanted() else {
                    opened.connection.close()
                    return unwanted()
                }
                opened.connection.receiver = receiver
                self.current = opened.connection
                self.handshake = opened.handshake
                ready(opened.connection)
            case .failure(let error as TLSFailure):
                failed(RequestFailure(kind: .tls, message: "\(self.connector.target): \(error)"))
            case .failure(let error):
                failed(RequestFailure(kind: .connect, message: "\(self.connector.target): \(error)"))
            }
        }
    }

    /// The handshake time (nanoseconds) of the TLS connection just opened, once: nil after
    /// that, for a reused connection, and over plain HTTP.
    package func takeHandshake() -> UInt64? {
        defer { handshake = nil }
        return handshake
    }

    /// Closes the connection; the next `acquire` opens a new one.
    package func drop() {
        current?.receiver = nil
        current?.close()
        current = nil
    }
}
