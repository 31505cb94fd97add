import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for exercising the client over real sockets.
/// It echoes each request as JSON, keeps connections alive and counts them.
/// `/status/NNN` answers with that status; `/sleep/MS` waits before answering.
final class TestHTTPServer: @unchecked Sendable {
    // Safe: the counters are only touched under the server's lock; the listener is a constant.
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var accepted = 0
    private var stopped = false

    var connectionsAccepted: Int { lock.lock(); defer { lock.unlock() }; return accepted }

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [unowned self] in self.acceptLoop() }
        thread.start()
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            lock.lock(); accepted += 1; let done = stopped; lock.unlock()
            if done { close(client); return }
            Thread { self.serve(client) }.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            // Read until the end of the headers.
            var headerEnd: Int?
            while headerEnd == nil {
                if let range = findHeaderEnd(buffer) { headerEnd = range; break }
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { return }
                buffer.append(contentsOf: chunk[0..<n])
            }
            let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            let requestLine = lines.removeFirst().split(separator: " ")
            guard requestLine.count >= 2 else { return }
            var headers: [(String, String)] = []
            for line in lines where !line.isEmpty {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
            let bodyStart = headerEnd! + 4
            while buffer.count < bodyStart + length {
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { return }
                buffer.append(contentsOf: chunk[0..<n])
            }
            let body = Array(buffer[bodyStart..<(bodyStart + length)])
            buffer.removeFirst(bodyStart + length)

            let method = String(requestLine[0]), target = String(requestLine[1])
            var status = 200
            if target.hasPrefix("/status/"), let code = Int(target.dropFirst(8)) { status = code }
            if target.hasPrefix("/sleep/"), let ms = UInt32(target.dropFirst(7)) { usleep(ms * 1000) }
            let echo: [String: Any] = [
                "method": method, "target": target,
                "headers": Dictionary(headers.map { ($0.0.lowercased(), $0.1) }, uniquingKeysWith: { a, b in a + ", " + b }),
                "body": String(decoding: body, as: UTF8.self),
            ]
            let payload = try! JSONSerialization.data(withJSONObject: echo, options: [.sortedKeys])
            let closeAfter = headers.contains { $0.0.lowercased() == "connection" && $0.1.lowercased() == "close" }
            var response = "HTTP/1.1 \(status) Test\r\nContent-Type: application/json\r\nX-Echo-Method: \(method)\r\n"
            response += "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
            response += "Content-Length: \(method == "HEAD" ? 0 : payload.count)\r\n\r\n"
            var out = Array(response.utf8)
            if method != "HEAD" { out += payload }
            var sent = 0
            while sent < out.count {
                let n = out[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n <= 0 { return }
                sent += n
            }
            if closeAfter { return }
        }
    }

    private func findHeaderEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }
}
