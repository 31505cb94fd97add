import NIOCore
import Steps
import Testing

@testable import HTTPWire

/// The engine's HTTP/1.1 response reader, fed byte streams cut in every place.
@Suite struct ResponseParserTests {
    /// Feeds `text` in pieces of `size` bytes; returns the parser once the response is complete.
    static func read(_ text: String, pieces size: Int, head: Bool = false, keepHeaders: Bool = true) throws -> ResponseParser? {
        var parser = ResponseParser()
        parser.expect(methodIsHead: head, keepHeaders: keepHeaders, keepBody: true, bodyLimit: 1 << 20)
        let bytes = Array(text.utf8)
        var pending = ByteBuffer()
        var offset = 0
        while offset < bytes.count {
            pending.writeBytes(bytes[offset..<min(bytes.count, offset + size)])
            offset += size
            if try parser.parse(&pending) { return parser }
        }
        return nil
    }

    static let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n5\r\n{\"a\":\r\n3;ext=1\r\n 1}\r\n0\r\nX-Trailer: t\r\n\r\n"

    @Test(arguments: [1, 2, 3, 7, 64, 4096])
    func chunkedBodiesAreJoinedWhereverTheReadsAreCut(size: Int) throws {
        let parser = try #require(try Self.read(Self.chunked, pieces: size))
        #expect(parser.head.status == 200)
        #expect(String(decoding: parser.body, as: UTF8.self) == #"{"a": 1}"#)
        #expect(parser.head.headers.contains { $0.name == "content-type" && $0.value == "application/json" })
        #expect(parser.head.keepAlive)
    }

    /// A chunk-size line that never ends is an error once it passes the line limit, not a buffer that grows forever.
    @Test func anEndlessChunkSizeLineIsRefused() throws {
        var parser = ResponseParser()
        parser.expect(methodIsHead: false, keepHeaders: false, keepBody: false, bodyLimit: 0)
        var pending = ByteBuffer(string: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        var refused = false
        for _ in 0..<100 {
            pending.writeString(String(repeating: "0", count: 1_000))
            do { _ = try parser.parse(&pending) } catch { refused = true; break }
        }
        #expect(refused && pending.readableBytes < 2 * ResponseParser.lineLimit)
    }

    @Test func aLengthFramesTheBodyAndConnectionCloseIsHonoured() throws {
        let parser = try #require(try Self.read("HTTP/1.1 404 Not Found\r\ncontent-length: 4\r\nConnection: close\r\n\r\nnope", pieces: 5))
        #expect(parser.head.status == 404 && String(decoding: parser.body, as: UTF8.self) == "nope")
        #expect(!parser.head.keepAlive)
    }

    @Test func responsesWithoutABodyEndAtTheirHead() throws {
        #expect(try Self.read("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", pieces: 9, head: true)?.head.status == 200)
        #expect(try Self.read("HTTP/1.1 204 No Content\r\n\r\n", pieces: 100)?.body.isEmpty == true)
        let continued = try #require(try Self.read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", pieces: 4))
        #expect(continued.head.status == 201 && continued.body == Array("ok".utf8))
    }

    @Test func aBodyWithoutFramingLastsUntilTheConnectionCloses() throws {
        var parser = ResponseParser()
        parser.expect(methodIsHead: false, keepHeaders: false, keepBody: true, bodyLimit: 100)
        var buffer = ByteBuffer(string: "HTTP/1.0 200 OK\r\n\r\nall of it")
        #expect(try parser.parse(&buffer) == false)
        #expect(parser.endsAtClose && parser.body == Array("all of it".utf8) && !parser.head.keepAlive)
    }

    @Test(arguments: ["SMTP 220 ready\r\n\r\n", "HTTP/1.1\r\n\r\n", "junk\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
                      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n"])
    func malformedResponsesAreErrors(text: String) {
        #expect(throws: ResponseParser.ParseError.self) { _ = try Self.read(text, pieces: 1000) }
    }

    /// Some servers end lines with a bare LF: the head still ends at its blank line, read in pieces of any size.
    @Test(arguments: [1, 5, 64])
    func headsWithBareLineFeedsAreRead(size: Int) throws {
        let parser = try #require(try Self.read("HTTP/1.1 404 Not Found\nContent-Length: 2\nConnection: close\n\nno", pieces: size))
        #expect(parser.head.status == 404 && parser.body == Array("no".utf8) && !parser.head.keepAlive)
    }

    @Test func anEndlessHeadIsRefused() {
        let text = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaa\r\n", count: 3000)
        #expect(throws: ResponseParser.ParseError.self) { _ = try Self.read(text, pieces: 8192) }
    }

    @Test func headersAreOnlyKeptWhenAsked() throws {
        let parser = try #require(try Self.read("HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n", pieces: 100, keepHeaders: false))
        #expect(parser.head.headers.isEmpty)
    }
}
