import Foundation
@testable import HTTPWire
import NIOCore
import TestSupport
import Steps
import Synchronization
import Testing

/// Connections on the engine's own loop against a server that does what each test scripts:
/// writes the socket cannot take at once, bodies framed by the close or cut short, refused
/// ports, names with several addresses, silence.
@Suite struct WireConnectionTests {
    @Test func aRequestLargerThanTheSocketTakesIsWrittenWhole() async throws {
        let size = 16 << 20
        // A 64 KiB receive buffer on the server: the client's writes fill the socket and wait for EPOLLOUT.
        let server = try ScriptedServer(receiveBuffer: 1 << 16) { fd in
            guard let (head, extra) = ScriptedServer.readHead(fd), head.hasPrefix("POST") else { return }
            var received = extra.count
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while received < size {
                let count = read(fd, &chunk, chunk.count)
                if count <= 0 { return }
                received += count
            }
            ScriptedServer.write(fd, "HTTP/1.1 200 OK\r\nContent-Length: \(String(received).count)\r\n\r\n\(received)")
        }
        defer { server.stop() }
        var request = ByteBufferAllocator().buffer(capacity: size + 200)
        request.writeString("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(size)\r\n\r\n")
        request.writeRepeatingByte(UInt8(ascii: "x"), count: size)
        let response = try await Self.send(request, to: "http://127.0.0.1:\(server.port)").get()
        #expect(response.status == 200 && String(decoding: response.body, as: UTF8.self) == String(size))
    }

    @Test func aBodyFramedByTheCloseEndsWithItAndTheNextRequestOpensANewConnection() async throws {
        let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
        defer { server.stop() }
        let loop = WireLoop()
        let connection = FlowConnection(loop: loop, connector: Connector(target: TargetURL("http://127.0.0.1:\(server.port)")!, connectTimeout: .seconds(2)))
        for _ in 0..<2 {
            let response = try await connection.send(Self.get, methodIsHead: false, timeout: 2).get()
            #expect(String(decoding: response.body, as: UTF8.self) == "until the end")
        }
        #expect(server.accepted.load(ordering: .relaxed) == 2)
        await connection.close()
        try await loop.shutdownGracefully()
    }

    @Test func aBodyCutShortIsAResetNotAResponse() async throws {
        let server = try ScriptedServer.answering("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
        defer { server.stop() }
        let result = await Self.send(Self.get, to: "http://127.0.0.1:\(server.port)")
        guard case .failure(let failure) = result else { Issue.record("a response: \(result)"); return }
        #expect(failure.kind == .reset && failure.message.contains("closed before the response ended"))
    }

    @Test func aPortNobodyListensOnIsAConnectFailureWithTheReason() async throws {
        let closed = try ScriptedServer { _ in }
        let port = closed.port
        closed.stop()
        let result = await Self.send(Self.get, to: "http://127.0.0.1:\(port)")
        guard case .failure(let failure) = result else { Issue.record("a response: \(result)"); return }
        #expect(failure.kind == .connect && failure.message.contains("Connection refused"), "\(failure.message)")
    }

    @Test func eachAddressIsTriedUntilOneAnswers() async throws {
        let server = try ScriptedServer { _ in }
        defer { server.stop() }
        let closed = try ScriptedServer { _ in }
        closed.stop()
        // A name of two addresses (as localhost is ::1 and 127.0.0.1 on many machines), the first refusing.
        let addresses = try [SocketAddress(ipAddress: "127.0.0.1", port: closed.port), SocketAddress(ipAddress: "127.0.0.1", port: server.port)]
        let loop = WireLoop()
        let opened = try await loop.submit { () -> EventLoopFuture<UInt64?> in
            let promise = loop.makePromise(of: UInt64?.self)
            let connection = WireConnection(loop: loop, target: TargetURL("http://localhost:\(server.port)")!, tls: nil)
            connection.open(addresses, timeout: .seconds(2)) { result in
                connection.close()
                promise.completeWith(result)
            }
            return promise.futureResult
        }.flatMap { $0 }.get()
        #expect(opened == nil, "plain TCP: no handshake")
        // The kernel completes a connection before the server's thread accepts it.
        #expect(await eventually(timeout: 10) { server.accepted.load(ordering: .relaxed) == 1 }, "the second address took the connection")
        try await loop.shutdownGracefully()
    }

    @Test func usersConnectingAtOnceShareOneLookUp() async throws {
        // Each connection stays open until the client closes it.
        let server = try ScriptedServer { fd in ScriptedServer.readSome(fd) }
        defer { server.stop() }
        let loop = WireLoop()
        let connector = Connector(target: TargetURL("http://localhost:\(server.port)")!, connectTimeout: .seconds(5))
        let opened = try await loop.submit { EventLoopFuture.whenAllSucceed((0..<100).map { _ in connector.connect(on: loop) }, on: loop) }.flatMap { $0 }.get()
        try await loop.submit { for connection in opened { connection.connection.close() } }.get()
        #expect(opened.count == 100)
        #expect(connector.addresses.lookUps.load(ordering: .relaxed) == 1, "one lookup for 100 connections opened at once")
        try await loop.shutdownGracefully()
    }

    @Test func aNameIsResolvedOffTheLoop() async throws {
        let server = try ScriptedServer.answering("HTTP/1.1 204 No Content\r\n\r\n")
        defer { server.stop() }
        let response = try await Self.send(Self.get, to: "http://localhost:\(server.port)").get()
        #expect(response.status == 204)
        let unknown = await Self.send(Self.get, to: "http://no-such-host.invalid:80")
        guard case .failure(let failure) = unknown else { Issue.record("a response: \(unknown)"); return }
        #expect(failure.kind == .connect && failure.message.contains("could not be resolved"), "\(failure.message)")
    }

    @Test func silenceEndsInATimeout() async throws {
        let server = try ScriptedServer { fd in
            guard ScriptedServer.readHead(fd) != nil else { return }
            // Never answers, and waits for the client to give up and close (closing first would make it a reset).
            ScriptedServer.readSome(fd)
        }
        defer { server.stop() }
        let result = await Self.send(Self.get, to: "http://127.0.0.1:\(server.port)", timeout: 0.2)
        guard case .failure(let failure) = result else { Issue.record("a response: \(result)"); return }
        #expect(failure.kind == .timeout && failure.message.contains("no response within"), "\(failure.message)")
    }

    @Test func aServerThatHangsUpOrAnswersInPlainTextIsATLSFailureNotAHang() async throws {
        // Each reads the ClientHello first, then hangs up or answers as a plain HTTP server would.
        let hangsUp = try ScriptedServer { fd in ScriptedServer.readSome(fd) }
        defer { hangsUp.stop() }
        let plain = try ScriptedServer { fd in
            ScriptedServer.readSome(fd)
            ScriptedServer.write(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        }
        defer { plain.stop() }
        let tls = try TLSClientContext(settings: TLSSettings())
        for (server, expected) in [(hangsUp, "closed the connection during the handshake"), (plain, "TLS handshake failed")] {
            let result = await Self.send(Self.get, to: "https://127.0.0.1:\(server.port)", tls: tls)
            guard case .failure(let failure) = result else { Issue.record("a response: \(result)"); continue }
            #expect(failure.kind == .tls && failure.message.contains(expected), "\(failure.message)")
        }
    }

    @Test func aTLSBodyFramedByACloseWithoutCloseNotifyEndsWithIt() async throws {
        // Many servers close without TLS's close_notify; the close still ends a body it frames.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-wire-tls-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let made = try await ChildProcess("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                                                                "-subj", "/CN=localhost", "-keyout", folder.appendingPathComponent("key.pem").path,
                                                                "-out", folder.appendingPathComponent("cert.pem").path]).finish()
        #expect(made.code == 0, "\(made.err)")
        let script = """
        import socket, ssl, sys
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[1], sys.argv[2])
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        print(listener.getsockname()[1], flush=True)
        raw, _ = listener.accept()
        conn = context.wrap_socket(raw, server_side=True)
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nuntil the end")
        raw.close()  # the TCP connection only: no close_notify
        """
        let server = try ChildProcess("/usr/bin/python3", ["-c", script, folder.appendingPathComponent("cert.pem").path, folder.appendingPathComponent("key.pem").path])
        defer { server.send(SIGKILL) }
        let line = try #require(Int(await server.output(until: "\n", timeout: 10).trimmingCharacters(in: .whitespacesAndNewlines)), "the server printed its port")
        let tls = try TLSClientContext(settings: TLSSettings(insecureSkipVerify: true))
        let response = try await Self.send(Self.get, to: "https://127.0.0.1:\(line)", tls: tls).get()
        #expect(response.status == 200 && String(decoding: response.body, as: UTF8.self) == "until the end")
    }

    static let get: ByteBuffer = {
        var bytes = ByteBufferAllocator().buffer(capacity: 64)
        bytes.writeString("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        return bytes
    }()

    /// One request on a loop of its own, which is shut down after.
    static func send(_ bytes: ByteBuffer, to url: String, timeout: Double = 5, tls: TLSClientContext? = nil) async -> Result<CollectedResponse, RequestFailure> {
        let loop = WireLoop()
        let connection = FlowConnection(loop: loop, connector: Connector(target: TargetURL(url)!, connectTimeout: .seconds(2), tls: tls))
        let result = await connection.send(bytes, methodIsHead: false, timeout: timeout)
        await connection.close()
        try? await loop.shutdownGracefully()
        return result
    }
}

/// A TCP server on 127.0.0.1 that runs `script` on each connection, on a thread of its own, with
/// blocking reads and writes, then closes it.
final class ScriptedServer: Sendable {
    let port: Int
    let accepted = Atomic(0)
    private let listener: Int32

    /// `receiveBuffer`: the accepted sockets' SO_RCVBUF in bytes (the kernel's default when nil).
    init(receiveBuffer: Int32? = nil, _ script: @escaping @Sendable (Int32) -> Void) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer { setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 256) == 0 else { throw POSIXError(.EADDRINUSE) }
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &size) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = listener
        Thread { [self] in
            while true {
                let fd = accept(listener, nil, nil)
                guard fd >= 0 else { return }
                accepted.add(1, ordering: .relaxed)
                Thread {
                    script(fd)
                    close(fd)
                }.start()
            }
        }.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// A server that reads each request's head and answers `response`.
    static func answering(_ response: String) throws -> ScriptedServer {
        try ScriptedServer { fd in
            guard readHead(fd) != nil else { return }
            write(fd, response)
        }
    }

    /// Reads up to the blank line after a request's head: the head, and what came after it.
    static func readHead(_ fd: Int32) -> (String, [UInt8])? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &chunk, chunk.count)
            guard count > 0 else { return nil }
            bytes += chunk[0..<count]
            if let end = bytes.indices.dropLast(3).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }) {
                return (String(decoding: bytes[..<end], as: UTF8.self), Array(bytes[(end + 4)...]))
            }
        }
    }

    /// Reads whatever has come (at most 4 KiB), waiting until something comes or the peer closes.
    static func readSome(_ fd: Int32) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        _ = read(fd, &chunk, chunk.count)
    }

    static func write(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            sent += count
        }
    }
}

