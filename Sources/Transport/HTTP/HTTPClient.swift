import CCurl
import Foundation

/// An HTTP request for the client: method, absolute URL, headers, body and a timeout.
public struct HTTPClientRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Whole-request timeout in seconds.
    public var timeout: Double

    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [], timeout: Double = 30) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// What came back: status, headers in order, body bytes and the time it took.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Seconds from sending the request to the last byte of the response.
    public var elapsed: Double

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Why a request got no response.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case connectionFailed, timeout, invalidRequest, transfer }
    public let kind: Kind
    public let url: String
    public let message: String

    public var description: String { "\(url): \(message)" }
}

/// A libcurl easy handle: one connection kept alive across requests to the same host.
/// Not safe to share between threads; use one client per worker (or `HTTPClientPool`).
public final class HTTPClient {
    private let handle: UnsafeMutableRawPointer
    private var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init() {
        _ = HTTPClient.globalInit
        handle = curl_easy_init()
    }

    deinit { curl_easy_cleanup(handle) }

    /// How many new connections this client has opened so far (keep-alive keeps it at 1 per host).
    public private(set) var connectionsOpened = 0

    /// Sends `request` and waits for the whole response.
    public func send(_ request: HTTPClientRequest) throws -> HTTPClientResponse {
        curl_easy_reset(handle)
        let box = TransferBox(body: request.body)
        let unmanaged = Unmanaged.passRetained(box)
        defer { unmanaged.release() }
        let opaque = unmanaged.toOpaque()

        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for header in request.headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        // libcurl adds "Expect: 100-continue" to large bodies, which costs a round trip.
        headerList = curl_slist_append(headerList, "Expect:")

        var code = CURLE_OK
        func set(_ result: CURLcode) { if code == CURLE_OK { code = result } }
        errorBuffer.withUnsafeMutableBufferPointer { buffer in
            set(tg_curl_set_ptr(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress))
        }
        set(tg_curl_set_string(handle, CURLOPT_URL, request.url))
        set(tg_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))
        set(tg_curl_set_long(handle, CURLOPT_TIMEOUT_MS, max(1, Int(request.timeout * 1000))))
        set(tg_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, max(1, Int(min(request.timeout, 10) * 1000))))
        set(tg_curl_set_long(handle, CURLOPT_TCP_NODELAY, 1))
        set(tg_curl_set_ptr(handle, CURLOPT_HTTPHEADER, headerList))
        set(tg_curl_set_callback(handle, CURLOPT_WRITEFUNCTION, { data, size, count, userdata in
            let box = Unmanaged<TransferBox>.fromOpaque(userdata!).takeUnretainedValue()
            let n = size * count
            if let data { box.received.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n)) }
            return n
        }))
        set(tg_curl_set_ptr(handle, CURLOPT_WRITEDATA, opaque))
        set(tg_curl_set_callback(handle, CURLOPT_HEADERFUNCTION, { data, size, count, userdata in
            let box = Unmanaged<TransferBox>.fromOpaque(userdata!).takeUnretainedValue()
            let n = size * count
            guard let data else { return n }
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
            box.headerLine(line)
            return n
        }))
        set(tg_curl_set_ptr(handle, CURLOPT_HEADERDATA, opaque))

        let method = request.method.uppercased()
        switch method {
        case "GET": set(tg_curl_set_long(handle, CURLOPT_HTTPGET, 1))
        case "HEAD": set(tg_curl_set_long(handle, CURLOPT_NOBODY, 1))
        default: set(tg_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, method))
        }
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) {
            set(tg_curl_set_long(handle, CURLOPT_UPLOAD, 1))
            set(tg_curl_set_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(request.body.count)))
            set(tg_curl_set_callback(handle, CURLOPT_READFUNCTION, { buffer, size, count, userdata in
                let box = Unmanaged<TransferBox>.fromOpaque(userdata!).takeUnretainedValue()
                return box.read(into: buffer!, max: size * count)
            }))
            set(tg_curl_set_ptr(handle, CURLOPT_READDATA, opaque))
            // UPLOAD makes libcurl use PUT; keep the method asked for.
            set(tg_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, method))
        }
        guard code == CURLE_OK else {
            throw HTTPClientError(kind: .invalidRequest, url: request.url, message: String(cString: curl_easy_strerror(code)))
        }

        let start = DispatchTime.now().uptimeNanoseconds
        let result = curl_easy_perform(handle)
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard result == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
            let kind: HTTPClientError.Kind
            switch result {
            case CURLE_OPERATION_TIMEDOUT: kind = .timeout
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .connectionFailed
            case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: kind = .invalidRequest
            default: kind = .transfer
            }
            throw HTTPClientError(kind: kind, url: request.url, message: message)
        }
        var status = 0
        _ = tg_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var connects = 0
        _ = tg_curl_get_long(handle, CURLINFO_NUM_CONNECTS, &connects)
        connectionsOpened += connects
        return HTTPClientResponse(status: status, headers: box.headers, body: box.received, elapsed: elapsed)
    }
}

/// State shared with libcurl's callbacks during one transfer.
private final class TransferBox {
    let body: [UInt8]
    var offset = 0
    var received: [UInt8] = []
    var headers: [(name: String, value: String)] = []

    init(body: [UInt8]) { self.body = body }

    func read(into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        let n = min(max, body.count - offset)
        guard n > 0 else { return 0 }
        body.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }

    func headerLine(_ line: String) {
        if line.hasPrefix("HTTP/") {
            // A new response (after a redirect or 100 Continue): forget earlier headers.
            headers.removeAll()
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces)
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        headers.append((name, value))
    }
}

/// A set of `HTTPClient`s for concurrent use: each call borrows an idle client (reusing its
/// kept-alive connection) and runs the blocking transfer off the Swift concurrency pool.
public final class HTTPClientPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [HTTPClient] = []
    private let queue = DispatchQueue(label: "tollgate.http", attributes: .concurrent)

    public init() {}

    public func send(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        let client = borrow()
        defer { giveBack(client) }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try client.send(request) }) }
        }
    }

    private func borrow() -> HTTPClient {
        lock.lock()
        defer { lock.unlock() }
        return idle.popLast() ?? HTTPClient()
    }

    private func giveBack(_ client: HTTPClient) {
        lock.lock()
        idle.append(client)
        lock.unlock()
    }
}
