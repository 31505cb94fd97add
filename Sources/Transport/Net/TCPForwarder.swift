import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Listens on a fixed port and pipes every connection to a target address. Used to give the
/// embedded Kafka broker a fixed bootstrap port (it picks its own port itself).
///
/// Each forwarded connection has two pump threads; a descriptor is closed only after both
/// pumps are done with it, and `stop()` ends the listener and every live connection.
public final class TCPForwarder: @unchecked Sendable {
    // Safe to share: `stopped` and `connections` are guarded by `lock`; the listener descriptor
    // is only closed by the accept thread, after `stop()` shut it down.
    public let listenPort: Int
    private let listener: Int32
    private let targetHost: String
    private let targetPort: Int
    private let lock = NSLock()
    private var stopped = false
    private var connections: [ObjectIdentifier: ForwardedConnection] = [:]

    public init(listenHost: String, listenPort: Int, targetHost: String, targetPort: Int) throws {
        self.targetHost = targetHost
        self.targetPort = targetPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TCPForwarderError(message: "cannot open a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = TCPForwarder.address(listenHost, listenPort)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let code = errno
            close(fd)
            throw TCPForwarderError(message: "cannot listen on \(listenHost):\(listenPort): \(String(cString: strerror(code)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) } }
        self.listenPort = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        Thread { [self] in acceptLoop() }.start()
    }

    /// Stops accepting and ends every forwarded connection.
    public func stop() {
        let live: [ForwardedConnection] = lock.withLock {
            stopped = true
            return Array(connections.values)
        }
        shutdown(listener, Int32(SHUT_RDWR))
        live.forEach { $0.shutDown() }
    }

    /// How many connections are being forwarded right now.
    public var liveConnections: Int { lock.withLock { connections.count } }

    static func address(_ host: String, _ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard upstream >= 0 else { close(client); continue }
            var target = TCPForwarder.address(targetHost, targetPort)
            let connected = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(client); close(upstream); continue }
            let connection = ForwardedConnection(client: client, upstream: upstream) { [weak self] finished in
                self?.lock.withLock { _ = self?.connections.removeValue(forKey: ObjectIdentifier(finished)) }
            }
            let accepted = lock.withLock {
                guard !stopped else { return false }
                connections[ObjectIdentifier(connection)] = connection
                return true
            }
            guard accepted else { connection.closeUnstarted(); return }
            Thread { connection.pump(from: client, to: upstream) }.start()
            Thread { connection.pump(from: upstream, to: client) }.start()
        }
    }
}

/// One forwarded connection: two descriptors, two pumps; the last pump to finish closes both.
final class ForwardedConnection: @unchecked Sendable {
    // Safe to share: `running` is guarded by `lock`; descriptors are closed once, by the last pump.
    private let client: Int32
    private let upstream: Int32
    private let lock = NSLock()
    private var running = 2
    private let onClose: @Sendable (ForwardedConnection) -> Void

    init(client: Int32, upstream: Int32, onClose: @escaping @Sendable (ForwardedConnection) -> Void) {
        self.client = client
        self.upstream = upstream
        self.onClose = onClose
    }

    /// Copies bytes until the source ends or the destination fails, then half-closes.
    func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        copying: while true {
            let n = read(source, &buffer, buffer.count)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            var sent = 0
            while sent < n {
                let m = buffer[sent..<n].withUnsafeBytes { write(destination, $0.baseAddress, $0.count) }
                if m < 0, errno == EINTR { continue }
                if m <= 0 {
                    // The other side is gone: stop reading from this one too.
                    shutdown(source, Int32(SHUT_RD))
                    break copying
                }
                sent += m
            }
        }
        shutdown(destination, Int32(SHUT_WR))
        finish()
    }

    /// Wakes both pumps (their reads return), so they finish and close.
    func shutDown() {
        shutdown(client, Int32(SHUT_RDWR))
        shutdown(upstream, Int32(SHUT_RDWR))
    }

    /// For a connection accepted while stopping: no pump ever ran.
    func closeUnstarted() {
        close(client)
        close(upstream)
    }

    private func finish() {
        let last = lock.withLock {
            running -= 1
            return running == 0
        }
        guard last else { return }
        close(client)
        close(upstream)
        onClose(self)
    }
}

public struct TCPForwarderError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
