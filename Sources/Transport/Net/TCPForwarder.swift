import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Listens on a fixed port and pipes every connection to a target address. Used to give the
/// embedded Kafka broker a fixed bootstrap port (it picks its own port itself).
public final class TCPForwarder: @unchecked Sendable {
    public let listenPort: Int
    private let listener: Int32
    private let targetHost: String
    private let targetPort: Int
    private let lock = NSLock()
    private var stopped = false

    public init(listenHost: String, listenPort: Int, targetHost: String, targetPort: Int) throws {
        self.targetHost = targetHost
        self.targetPort = targetPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
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

    public func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    static func address(_ host: String, _ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            lock.lock()
            let done = stopped
            lock.unlock()
            if done { close(client); return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var target = TCPForwarder.address(targetHost, targetPort)
            let connected = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(client); close(upstream); continue }
            Thread { TCPForwarder.pump(from: client, to: upstream) }.start()
            Thread { TCPForwarder.pump(from: upstream, to: client) }.start()
        }
    }

    private static func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = read(source, &buffer, buffer.count)
            if n <= 0 { break }
            var sent = 0
            while sent < n {
                let m = buffer[sent..<n].withUnsafeBytes { write(destination, $0.baseAddress, $0.count) }
                if m <= 0 { shutdown(source, Int32(SHUT_RDWR)); close(source); return }
                sent += m
            }
        }
        shutdown(destination, Int32(SHUT_WR))
        close(source)
    }
}

public struct TCPForwarderError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
