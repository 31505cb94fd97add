import Transport
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
    /// The largest response body accepted; a longer one ends the transfer with an error.
    public var maxResponseBytes: Int

    /// The limit every response has unless a caller sets another: 64 MB.
    public static let defaultMaxResponseBytes = 64 << 20

    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [], timeout: Double = 30,
                maxResponseBytes: Int = HTTPClientRequest.defaultMaxResponseBytes) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
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
    public enum Kind: Sendable { case connectionFailed, timeout, invalidRequest, transfer, responseTooLarge }
    public let kind: Kind
    public let url: String
    public let message: String

    public var description: String { "\(url): \(message)" }
}

/// A libcurl easy handle: one connection kept alive across requests to the same host.
/// Not safe to share between threads; use one client per worker, or `HTTPClientPool` from
/// async code.
public final class HTTPClient {
    private let handle: UnsafeMutableRawPointer

    public init() {
        Transfer.initialiseCurl()
        handle = curl_easy_init()
    }

    deinit { curl_easy_cleanup(handle) }

    /// How many new connections this client has opened so far (keep-alive keeps it at 1 per host).
    public private(set) var connectionsOpened = 0

    /// Sends `request` and waits for the whole response.
    public func send(_ request: HTTPClientRequest) throws -> HTTPClientResponse {
        let transfer = try Transfer(request, handle: handle)
        let result = curl_easy_perform(handle)
        connectionsOpened += transfer.newConnections()
        return try transfer.finish(result).get()
    }
}

/// One request on an easy handle: sets it up, collects the response through libcurl's
/// callbacks, and turns the outcome into a response or an error.
final class Transfer {
    let request: HTTPClientRequest
    let handle: UnsafeMutableRawPointer
    private let box: TransferBox
    private let unmanaged: Unmanaged<TransferBox>
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// libcurl writes failure details here; the handle points at it until `cleanUp` detaches it.
    private let errorBuffer: UnsafeMutablePointer<CChar> = {
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        buffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        return buffer
    }()

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()
    static func initialiseCurl() { _ = globalInit }

    init(_ request: HTTPClientRequest, handle: UnsafeMutableRawPointer) throws {
        self.request = request
        self.handle = handle
        box = TransferBox(body: request.body, limit: request.maxResponseBytes)
        unmanaged = Unmanaged.passRetained(box)
        curl_easy_reset(handle)
        let opaque = unmanaged.toOpaque()
        for header in request.headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        // libcurl adds "Expect: 100-continue" to large bodies, which costs a round trip.
        headerList = curl_slist_append(headerList, "Expect:")

        var code = CURLE_OK
        func set(_ result: CURLcode) { if code == CURLE_OK { code = result } }
        set(tg_curl_set_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        set(tg_curl_set_string(handle, CURLOPT_URL, request.url))
        set(tg_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))
        set(tg_curl_set_long(handle, CURLOPT_TIMEOUT_MS, max(1, Int(request.timeout * 1000))))
        set(tg_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, max(1, Int(min(request.timeout, 10) * 1000))))
        set(tg_curl_set_long(handle, CURLOPT_TCP_NODELAY, 1))
        set(tg_curl_set_ptr(handle, CURLOPT_HTTPHEADER, headerList))
        set(tg_curl_set_callback(handle, CURLOPT_WRITEFUNCTION, { data, size, count, userdata in
            let box = Unmanaged<TransferBox>.fromOpaque(userdata!).takeUnretainedValue()
            let n = size * count
            guard box.received.count + n <= box.limit else {
                box.overflowed = true
                return 0
            }
            if let data { box.received.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n)) }
            return n
        }))
        set(tg_curl_set_ptr(handle, CURLOPT_WRITEDATA, opaque))
        set(tg_curl_set_callback(handle, CURLOPT_HEADERFUNCTION, { data, size, count, userdata in
            let box = Unmanaged<TransferBox>.fromOpaque(userdata!).takeUnretainedValue()
            let n = size * count
            guard let data else { return n }
            box.headerLine(String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self))
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
            cleanUp()
            throw HTTPClientError(kind: .invalidRequest, url: request.url, message: String(cString: curl_easy_strerror(code)))
        }
    }

    /// Connections this transfer had to open (0 when a kept-alive one was reused).
    func newConnections() -> Int {
        var connects = 0
        _ = tg_curl_get_long(handle, CURLINFO_NUM_CONNECTS, &connects)
        return connects
    }

    /// The response, or why there is none; releases what the transfer held.
    func finish(_ result: CURLcode) -> Result<HTTPClientResponse, HTTPClientError> {
        defer { cleanUp() }
        if box.overflowed {
            return .failure(HTTPClientError(kind: .responseTooLarge, url: request.url,
                                            message: "the response body is larger than \(box.limit) bytes"))
        }
        guard result == CURLE_OK else {
            let detail = String(cString: UnsafePointer(errorBuffer))
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
            let kind: HTTPClientError.Kind
            switch result {
            case CURLE_OPERATION_TIMEDOUT: kind = .timeout
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .connectionFailed
            case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: kind = .invalidRequest
            default: kind = .transfer
            }
            return .failure(HTTPClientError(kind: kind, url: request.url, message: message))
        }
        var status = 0
        _ = tg_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var micros: curl_off_t = 0
        _ = tg_curl_get_off(handle, CURLINFO_TOTAL_TIME_T, &micros)
        return .success(HTTPClientResponse(status: status, headers: box.headers, body: box.received, elapsed: Double(micros) / 1e6))
    }

    deinit {
        cleanUp()
        errorBuffer.deallocate()
    }

    private var cleaned = false
    private func cleanUp() {
        guard !cleaned else { return }
        cleaned = true
        // The handle outlives this transfer (it is reused): it must not keep pointing at our buffer.
        _ = tg_curl_set_ptr(handle, CURLOPT_ERRORBUFFER, nil)
        curl_slist_free_all(headerList)
        headerList = nil
        unmanaged.release()
    }
}

/// State shared with libcurl's callbacks during one transfer.
private final class TransferBox {
    let body: [UInt8]
    let limit: Int
    var offset = 0
    var received: [UInt8] = []
    var overflowed = false
    var headers: [(name: String, value: String)] = []

    init(body: [UInt8], limit: Int) {
        self.body = body
        self.limit = limit
    }

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

/// The async HTTP client: libcurl's multi interface on one dedicated thread drives every
/// in-flight request, so thousands can wait at once without holding a thread each, and
/// connections are kept alive and reused across requests.
public final class HTTPClientPool: Sendable {
    private let engine: MultiEngine

    /// - Parameter maxConnectionsPerHost: 0 for no limit.
    public init(maxConnectionsPerHost: Int = 0) {
        engine = MultiEngine(maxConnectionsPerHost: maxConnectionsPerHost)
        let engine = self.engine
        // The thread owns the engine's lifetime: it ends (and cleans up) after `stop()`.
        let thread = Thread { engine.runLoop() }
        thread.name = "tollgate.http"
        thread.start()
    }

    deinit { engine.stop() }

    /// Sends `request`; resumes when the whole response has arrived.
    public func send(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        try await withCheckedThrowingContinuation { continuation in
            engine.submit(request, continuation)
        }
    }
}

/// The multi handle and the queue of submitted requests, shared by the pool and its thread.
/// Safe to share: `submitted` and `stopping` are guarded by `lock`, the handles are only
/// touched by the loop thread, and `curl_multi_wakeup` is documented as callable from any thread.
private final class MultiEngine: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var submitted: [(HTTPClientRequest, CheckedContinuation<HTTPClientResponse, any Error>)] = []
    private var stopping = false

    init(maxConnectionsPerHost: Int) {
        Transfer.initialiseCurl()
        multi = curl_multi_init()
        _ = tg_curl_multi_set_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        _ = tg_curl_multi_set_long(multi, CURLMOPT_MAXCONNECTS, 1024)
    }

    func submit(_ request: HTTPClientRequest, _ continuation: CheckedContinuation<HTTPClientResponse, any Error>) {
        lock.lock()
        let rejected = stopping
        if !rejected { submitted.append((request, continuation)) }
        lock.unlock()
        if rejected {
            continuation.resume(throwing: HTTPClientError(kind: .transfer, url: request.url, message: "the client was shut down"))
            return
        }
        curl_multi_wakeup(multi)
    }

    func stop() {
        lock.lock()
        stopping = true
        lock.unlock()
        curl_multi_wakeup(multi)
    }

    func runLoop() {
        var idle: [UnsafeMutableRawPointer] = []
        var active: [UnsafeMutableRawPointer: (Transfer, CheckedContinuation<HTTPClientResponse, any Error>)] = [:]
        while true {
            lock.lock()
            let incoming = submitted
            submitted.removeAll()
            let done = stopping
            lock.unlock()
            for (request, continuation) in incoming {
                let handle = idle.popLast() ?? curl_easy_init()!
                do {
                    let transfer = try Transfer(request, handle: handle)
                    curl_multi_add_handle(multi, handle)
                    active[handle] = (transfer, continuation)
                } catch {
                    idle.append(handle)
                    continuation.resume(throwing: error)
                }
            }
            if done { break }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                      let (transfer, continuation) = active.removeValue(forKey: handle) else { continue }
                let result = tg_curl_msg_result(message)
                curl_multi_remove_handle(multi, handle)
                continuation.resume(with: transfer.finish(result).mapError { $0 as any Error })
                idle.append(handle)
            }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        for (handle, (transfer, continuation)) in active {
            curl_multi_remove_handle(multi, handle)
            _ = transfer.finish(CURLE_ABORTED_BY_CALLBACK)
            continuation.resume(throwing: HTTPClientError(kind: .transfer, url: transfer.request.url, message: "the client was shut down"))
            curl_easy_cleanup(handle)
        }
        for handle in idle { curl_easy_cleanup(handle) }
        curl_multi_cleanup(multi)
    }
}
