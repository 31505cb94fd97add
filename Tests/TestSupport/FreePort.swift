import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A port nothing listens on, for a server a test starts later (often in a child process):
/// below the ephemeral range, which the system draws from for port-0 servers and outgoing
/// connections, so none of the suite's is handed it meanwhile; never the same twice in a process.
public func freePort() -> Int {
    let low = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))?
        .split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32_768
    let range = max(1_024, low - 12_000)..<max(1_025, low)
    return handedOut.withLock { handed in
        for _ in 0..<1_000 {
            let port = Int.random(in: range)
            if !handed.contains(port), canListen(port: port) {
                handed.insert(port)
                return port
            }
        }
        // Every pick taken: a port the system chooses, released again.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

private let handedOut = Mutex<Set<Int>>([])

/// Whether a server could listen on 127.0.0.1:`port` now: nothing bound to it, not even a
/// connection waiting out its close.
private func canListen(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = loopbackAddress(port: port)
    return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
}

private func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return address
}

/// A TCP socket connected to 127.0.0.1:`port` (the caller closes it), nil when nothing accepts.
public func connectLoopback(port: Int) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = loopbackAddress(port: port)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        close(fd)
        return nil
    }
    return fd
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
public func acceptsConnections(port: Int) -> Bool {
    guard let fd = connectLoopback(port: port) else { return false }
    close(fd)
    return true
}

/// Sends `request` (a whole HTTP/1.1 request, sent byte for byte: paths are not normalized as
/// an HTTP library would) to 127.0.0.1:`port` and returns what came back until the server closed.
public func rawHTTPExchange(port: Int, _ request: String, timeout: Double = 10) -> String {
    guard let fd = connectLoopback(port: port) else { return "" }
    defer { close(fd) }
    var limit = timeval(tv_sec: Int(timeout), tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    let bytes = Array(request.utf8)
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        received += buffer[..<n]
    }
    return String(decoding: received, as: UTF8.self)
}
