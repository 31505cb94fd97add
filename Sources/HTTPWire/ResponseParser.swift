import NIOCore
import Steps

/// Reads HTTP/1.1 responses from the bytes of a connection, one at a time, without building
/// strings for headers nobody reads: the status, the framing headers (Content-Length,
/// Transfer-Encoding, Connection) and, when asked, the other headers. Bodies are framed by
/// length, by chunks, or by the connection's close.
struct ResponseParser {
    struct Head {
        var status = 0
        /// Only filled when the parser was asked to keep headers.
        var headers: [(name: String, value: String)] = []
        var keepAlive = true
    }

    enum ParseError: Error, CustomStringConvertible {
        case malformed(String)
        var description: String { if case .malformed(let why) = self { return "malformed response: \(why)" }; return "" }
    }

    private enum State {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkEnd
        case trailers
        case untilClose
    }

    /// The largest response head accepted.
    static let headLimit = 64 * 1024
    /// The longest chunk-size, chunk-end or trailer line accepted.
    static let lineLimit = 8 * 1024

    private var state = State.head
    private(set) var head = Head()
    private(set) var body: [UInt8] = []
    private var responseToHead = false
    private var keepHeaders = false
    private var keepBody = false
    private var bodyLimit = 0

    /// Prepares for the response to the request just sent.
    mutating func expect(methodIsHead: Bool, keepHeaders: Bool, keepBody: Bool, bodyLimit: Int) {
        state = .head
        head = Head()
        body = []
        responseToHead = methodIsHead
        self.keepHeaders = keepHeaders
        self.keepBody = keepBody
        self.bodyLimit = bodyLimit
    }

    /// True when the body lasts until the connection closes (the close then ends the response).
    var endsAtClose: Bool { if case .untilClose = state { return true } else { return false } }

    /// Consumes what it can of `buffer`; true once the whole response has been read.
    mutating func parse(_ buffer: inout ByteBuffer) throws(ParseError) -> Bool {
        while true {
            switch state {
            case .head:
                guard try readHead(&buffer) else {
                    if buffer.readableBytes > Self.headLimit { throw .malformed("a head longer than \(Self.headLimit) bytes") }
                    return false
                }
                if head.status >= 100 && head.status < 200 {
                    // An interim response (100 Continue): the real one follows.
                    head = Head()
                    state = .head
                    continue
                }
            case .fixed(let remaining):
                let take = min(remaining, buffer.readableBytes)
                consumeBody(&buffer, take)
                if remaining - take > 0 { state = .fixed(remaining: remaining - take); return false }
                return true
            case .chunkSize:
                guard let line = try Self.readLine(&buffer, limit: Self.lineLimit) else { return false }
                let digits = line.prefix { $0 != UInt8(ascii: ";") }.filter { $0 != UInt8(ascii: " ") }
                guard !digits.isEmpty, digits.count <= 15, let size = Int(String(decoding: digits, as: UTF8.self), radix: 16) else {
                    throw .malformed("a bad chunk size")
                }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let take = min(remaining, buffer.readableBytes)
                consumeBody(&buffer, take)
                if remaining - take > 0 { state = .chunkData(remaining: remaining - take); return false }
                state = .chunkEnd
            case .chunkEnd:
                guard let line = try Self.readLine(&buffer, limit: Self.lineLimit) else { return false }
                guard line.isEmpty else { throw .malformed("a chunk not followed by CRLF") }
                state = .chunkSize
            case .trailers:
                guard let line = try Self.readLine(&buffer, limit: Self.lineLimit) else { return false }
                if line.isEmpty { return true }
            case .untilClose:
                consumeBody(&buffer, buffer.readableBytes)
                return false
            }
        }
    }

    private mutating func consumeBody(_ buffer: inout ByteBuffer, _ count: Int) {
        if keepBody, body.count < bodyLimit, let bytes = buffer.getBytes(at: buffer.readerIndex, length: min(count, bodyLimit - body.count)) {
            body += bytes
        }
        buffer.moveReaderIndex(forwardBy: count)
    }

    /// Reads the response head at the start of `buffer` once its blank line has arrived (false
    /// before), in one pass over the bytes.
    private mutating func readHead(_ buffer: inout ByteBuffer) throws(ParseError) -> Bool {
        // Over the raw bytes: slices of a buffer view would retain and release its storage per header.
        let keepHeaders = self.keepHeaders
        guard let (read, length, chunked, headLength) = try buffer.withUnsafeReadableBytes({ bytes in Self.readHead(bytes, keepHeaders: keepHeaders) }).get() else {
            return false
        }
        buffer.moveReaderIndex(forwardBy: headLength)
        head = read
        let status = read.status
        if responseToHead || status == 204 || status == 304 || (status >= 100 && status < 200) {
            state = .fixed(remaining: 0)
        } else if chunked {
            state = .chunkSize
        } else if let length {
            state = .fixed(remaining: length)
        } else {
            head.keepAlive = false
            state = .untilClose
        }
        return true
    }

    /// The status line and headers of a response head at the start of `bytes`: the head, its
    /// Content-Length, whether its body is chunked, and the head's length with its blank line;
    /// nil while the blank line has not arrived.
    static func readHead(_ bytes: UnsafeRawBufferPointer, keepHeaders: Bool) -> Result<(Head, Int?, Bool, Int)?, ParseError> {
        // "HTTP/1.1 200 OK\r\n"
        guard bytes.count >= 12 else {
            // Too short to judge yet, unless what came is already not a status line.
            let prefix = "HTTP/1.".utf8
            if !zip(bytes, prefix).allSatisfy({ $0 == $1 }) || bytes.contains(UInt8(ascii: "\n")) {
                return .failure(.malformed("no HTTP/1.x status line"))
            }
            return .success(nil)
        }
        // The first seven bytes, "HTTP/1.", read as one little-endian word.
        guard bytes.loadUnaligned(as: UInt64.self) & 0x00FF_FFFF_FFFF_FFFF == 0x2E_31_2F_50_54_54_48 else {
            return .failure(.malformed("no HTTP/1.x status line"))
        }
        var head = Head()
        for index in 9..<12 {
            let digit = bytes[index]
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return .failure(.malformed("a bad status code")) }
            head.status = head.status * 10 + Int(digit - UInt8(ascii: "0"))
        }
        head.keepAlive = bytes[7] == UInt8(ascii: "1")
        var length: Int?
        var chunked = false
        var lineStart = 12
        while lineStart < bytes.count, bytes[lineStart] != UInt8(ascii: "\n") { lineStart += 1 }
        lineStart += 1
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            guard lineEnd < bytes.count else { break }
            let next = lineEnd + 1
            if lineEnd > lineStart, bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            if lineEnd == lineStart { return .success((head, length, chunked, next)) }
            defer { lineStart = next }
            var colon = lineStart
            while colon < lineEnd, bytes[colon] != UInt8(ascii: ":") { colon += 1 }
            guard colon < lineEnd else { return .failure(.malformed("a header line without ':'")) }
            var valueStart = colon + 1, valueEnd = lineEnd
            while valueStart < valueEnd, bytes[valueStart] == UInt8(ascii: " ") || bytes[valueStart] == UInt8(ascii: "\t") { valueStart += 1 }
            while valueEnd > valueStart, bytes[valueEnd - 1] == UInt8(ascii: " ") || bytes[valueEnd - 1] == UInt8(ascii: "\t") { valueEnd -= 1 }
            let name = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<colon])
            let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])
            // By length first: most headers are none of the three.
            switch name.count {
            case 14 where equalsIgnoringCase(name, "content-length"):
                guard let parsed = decimal(value) else { return .failure(.malformed("a bad Content-Length")) }
                if let length, length != parsed { return .failure(.malformed("conflicting Content-Length headers")) }
                length = parsed
            case 17 where equalsIgnoringCase(name, "transfer-encoding"):
                chunked = containsIgnoringCase(value, "chunked")
            case 10 where equalsIgnoringCase(name, "connection"):
                if containsIgnoringCase(value, "close") { head.keepAlive = false }
                if containsIgnoringCase(value, "keep-alive") { head.keepAlive = true }
            default:
                break
            }
            if keepHeaders {
                head.headers.append((String(decoding: name, as: UTF8.self).lowercased(), String(decoding: value, as: UTF8.self)))
            }
        }
        return .success(nil)
    }

    /// One line without its CRLF, or nil when the line has not fully arrived; a line longer than
    /// `limit` is malformed (an endless chunk-size line must not grow the buffer without end).
    static func readLine(_ buffer: inout ByteBuffer, limit: Int) throws(ParseError) -> [UInt8]? {
        guard let newline = buffer.readableBytesView.prefix(limit + 2).firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > limit + 1 { throw .malformed("a line longer than \(limit) bytes in a chunked body") }
            return nil
        }
        let length = newline - buffer.readableBytesView.startIndex
        var line = buffer.readBytes(length: length + 1)!
        line.removeLast()
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return line
    }

    static func equalsIgnoringCase(_ bytes: some Collection<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        for (byte, wanted) in zip(bytes, expected) {
            let folded: UInt8 = (byte >= 65 && byte <= 90) ? byte | 0x20 : byte
            if folded != wanted { return false }
        }
        return true
    }

    /// Whether `bytes` contain `lowercase` (ASCII letters compared without case), without
    /// building a string: every response's Connection header is read with it.
    static func containsIgnoringCase(_ bytes: some Collection<UInt8>, _ lowercase: StaticString) -> Bool {
        let word = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        var start = bytes.startIndex
        while bytes.distance(from: start, to: bytes.endIndex) >= word.count {
            var index = start, offset = 0
            while offset < word.count {
                let byte = bytes[index]
                if ((byte >= 65 && byte <= 90) ? byte | 0x20 : byte) != word[offset] { break }
                index = bytes.index(after: index)
                offset += 1
            }
            if offset == word.count { return true }
            start = bytes.index(after: start)
        }
        return false
    }

    /// A decimal number of at most 18 digits, nil for anything else.
    static func decimal(_ bytes: some Collection<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
