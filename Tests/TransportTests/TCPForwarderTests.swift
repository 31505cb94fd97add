import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport
import Transport

@Suite struct TCPForwarderTests {
    /// A blocking client socket connected to 127.0.0.1:`port`.
    func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    @Test func forwardsBothWaysAndStopEndsLiveConnections() async throws {
        let server = try TestHTTPServer()
        let forwarder = try TCPForwarder(listenHost: "127.0.0.1", listenPort: 0, targetHost: "127.0.0.1", targetPort: Int(server.port))
        let client = try connect(forwarder.listenPort)
        defer { close(client) }
        let request = Array("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        #expect(write(client, request, request.count) == request.count)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(client, &buffer, buffer.count)
        #expect(n > 0 && String(decoding: buffer[..<max(0, n)], as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        #expect(forwarder.liveConnections == 1)

        forwarder.stop()
        // The live connection ends: end of stream (0), not the read timeout (-1), and no new one is accepted.
        #expect(read(client, &buffer, buffer.count) == 0)
        let closed = await eventually(timeout: 2) { forwarder.liveConnections == 0 }
        #expect(closed, "both pumps finished and closed their descriptors")
        #expect((try? connect(forwarder.listenPort)) == nil, "the listener is closed")
    }

    @Test func aPortInUseIsAClearError() throws {
        let first = try TCPForwarder(listenHost: "127.0.0.1", listenPort: 0, targetHost: "127.0.0.1", targetPort: 9)
        defer { first.stop() }
        let error = #expect(throws: TCPForwarderError.self) {
            try TCPForwarder(listenHost: "127.0.0.1", listenPort: first.listenPort, targetHost: "127.0.0.1", targetPort: 9)
        }
        #expect(error?.description.contains("cannot listen on 127.0.0.1:\(first.listenPort)") == true)
    }
}
