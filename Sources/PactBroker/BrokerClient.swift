package import ContractCore
import Foundation
import Synchronization
import Transport
package import TransportHTTP

/// Why a conversation with a Pact Broker could not be had, naming what was asked and where.
package struct BrokerError: Error, Sendable, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// Who the broker is told we are: a bearer token or a user and password (as the Pact CLI reads
/// them from `PACT_BROKER_TOKEN`, `PACT_BROKER_USERNAME` and `PACT_BROKER_PASSWORD`). Never printed.
package enum BrokerCredentials: Sendable {
    case none
    case token(String)
    case basic(user: String, password: String)

    var header: (name: String, value: String)? {
        switch self {
        case .none: return nil
        case .token(let token): return ("Authorization", "Bearer \(token)")
        case .basic(let user, let password): return ("Authorization", "Basic \(Data("\(user):\(password)".utf8).base64EncodedString())")
        }
    }
}

/// A Pact Broker (self-hosted or PactFlow) spoken to through its HAL API: the index, relations
/// followed by name, templates filled in. Credentials go only to the broker's own origin: a link
/// or a redirect to another host is refused, never followed with them.
package struct BrokerClient: Sendable {
    /// The base URL without a trailing slash.
    package let baseURL: String
    let credentials: BrokerCredentials
    let http: HTTPClientPool
    /// Retries of a request answered 5xx, 408 or 429 (publishing), with backoff from `retryDelay`.
    package var retries = 3
    package var retryDelay = 1.0
    /// The largest document read from the broker (a pact, a matrix).
    static let maxDocumentBytes = 16 << 20
    /// The index once read: a command (a gate stage) asks it for several relations.
    private let knownIndex = IndexCache()

    private final class IndexCache: Sendable {
        let document = Mutex<JSONValue?>(nil)
    }

    package init(baseURL: String, credentials: BrokerCredentials, http: HTTPClientPool) throws(BrokerError) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        guard let components = URLComponents(string: base), ["http", "https"].contains(components.scheme?.lowercased() ?? ""),
              let host = components.host, !host.isEmpty, components.query == nil, components.fragment == nil else {
            throw BrokerError("the broker URL '\(Redaction.url(baseURL))' must be an http(s) URL with a host")
        }
        guard components.user == nil, components.password == nil else {
            throw BrokerError("the broker URL must not hold credentials: give PACT_BROKER_TOKEN, or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD")
        }
        self.baseURL = base
        self.credentials = credentials
        self.http = http
    }

    /// The broker named by `url` (else `PACT_BROKER_BASE_URL`), with the credentials of the environment.
    package static func fromEnvironment(url: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                                        http: HTTPClientPool) throws(BrokerError) -> BrokerClient {
        guard let base = url ?? environment["PACT_BROKER_BASE_URL"], !base.isEmpty else {
            throw BrokerError("no broker: give --broker-url or set PACT_BROKER_BASE_URL")
        }
        let credentials: BrokerCredentials
        if let token = environment["PACT_BROKER_TOKEN"], !token.isEmpty {
            credentials = .token(token)
        } else if let user = environment["PACT_BROKER_USERNAME"], !user.isEmpty {
            credentials = .basic(user: user, password: environment["PACT_BROKER_PASSWORD"] ?? "")
        } else {
            credentials = .none
        }
        return try BrokerClient(baseURL: base, credentials: credentials, http: http)
    }

    // MARK: HAL

    /// The index resource, read once per client.
    package func index() async throws(BrokerError) -> JSONValue {
        if let known = knownIndex.document.withLock({ $0 }) { return known }
        let document = try await get(baseURL, what: "the broker's index")
        knownIndex.document.withLock { $0 = document }
        return document
    }

    /// The href of `relation` in `document`, its template filled with `values` (each percent-encoded).
    package func link(_ relation: String, in document: JSONValue, _ values: [String: String] = [:], what: String) throws(BrokerError) -> String {
        let entry = document["_links"]?[relation]
        guard let href = (entry?["href"] ?? entry?.arrayValue?.first?["href"])?.stringValue else {
            throw BrokerError("\(what): the broker at \(baseURL) has no '\(relation)' relation (is it a Pact Broker, and new enough?)")
        }
        var filled = href
        for (name, value) in values {
            filled = filled.replacingOccurrences(of: "{\(name)}", with: Self.pathComponent(value))
        }
        return filled
    }

    /// A value as one path segment (or query value): everything but unreserved characters escaped.
    static func pathComponent(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    // MARK: Requests

    package func get(_ url: String, what: String) async throws(BrokerError) -> JSONValue {
        try await send("GET", url, body: nil, what: what, retrying: false)
    }

    /// POSTs or PUTs `body`; with `retrying`, a 5xx, 408 or 429 answer is tried again (`retries`
    /// times, the delay doubling), as the Pact verifier's `--retries` does.
    package func send(_ method: String, _ url: String, body: JSONValue?, what: String, retrying: Bool) async throws(BrokerError) -> JSONValue {
        var target = url
        var attempt = 0
        var redirects = 0
        while true {
            guard isOnBroker(target) else {
                throw BrokerError("\(what): \(Redaction.url(target)) is not on the broker \(baseURL): credentials are not sent to another host")
            }
            var headers: [(name: String, value: String)] = [("Accept", "application/hal+json, application/json")]
            if let header = credentials.header { headers.append(header) }
            var bytes: [UInt8] = []
            if let body {
                headers.append(("Content-Type", "application/json"))
                bytes = Array(JSONWriter.compact(body).utf8)
            }
            let response: HTTPClientResponse
            do {
                response = try await http.send(HTTPClientRequest(method: method, url: target, headers: headers, body: bytes, timeout: 30,
                                                                 maxResponseBytes: Self.maxDocumentBytes))
            } catch let error as HTTPClientError where error.kind == .responseTooLarge {
                throw BrokerError("\(what): \(Redaction.url(target)) answered more than \(Self.maxDocumentBytes >> 20) MiB")
            } catch {
                if retrying, await waitBeforeRetry(&attempt) { continue }
                throw BrokerError("\(what): cannot reach the broker at \(baseURL): \(Redaction.scrub("\(error)", url: target))")
            }
            switch response.status {
            case 200..<300:
                if response.body.isEmpty { return .null }
                let type = response.header("Content-Type")?.lowercased() ?? ""
                guard type.contains("json") else {
                    throw BrokerError("\(what): \(Redaction.url(target)) answered \(type.isEmpty ? "no content type" : type), not JSON (is \(baseURL) a Pact Broker?)")
                }
                do { return try JSONParser.parse(response.body) } catch {
                    throw BrokerError("\(what): \(Redaction.url(target)) answered JSON that cannot be read: \(error)")
                }
            case 301, 302, 303, 307, 308:
                guard let location = response.header("Location"), redirects < 5 else {
                    throw BrokerError("\(what): \(Redaction.url(target)) redirected \(redirects < 5 ? "without a Location" : "more than 5 times")")
                }
                guard let next = URL(string: location, relativeTo: URL(string: target))?.absoluteURL.absoluteString, isOnBroker(next) else {
                    throw BrokerError("\(what): \(Redaction.url(target)) redirected to \(Redaction.url(location)), another host: credentials are not sent there")
                }
                redirects += 1
                target = next
            case 401, 403:
                throw BrokerError("\(what): the broker answered HTTP \(response.status) — check PACT_BROKER_TOKEN or PACT_BROKER_USERNAME/PACT_BROKER_PASSWORD")
            case 408, 429, 500...:
                if retrying, await waitBeforeRetry(&attempt) { continue }
                throw BrokerError("\(what): \(Redaction.url(target)) answered HTTP \(response.status)\(Self.detail(response))")
            default:
                throw BrokerError("\(what): \(Redaction.url(target)) answered HTTP \(response.status)\(Self.detail(response))")
            }
        }
    }

    /// Counts one more attempt and waits before it (the delay doubling from `retryDelay`); false
    /// once `retries` are spent.
    private func waitBeforeRetry(_ attempt: inout Int) async -> Bool {
        guard attempt < retries else { return false }
        attempt += 1
        try? await Task.sleep(for: .seconds(retryDelay * Double(1 << (attempt - 1))))
        return true
    }

    /// Whether `url` has the broker's scheme, host and port.
    func isOnBroker(_ url: String) -> Bool {
        guard let base = URLComponents(string: baseURL), let other = URLComponents(string: url) else { return false }
        func port(_ c: URLComponents) -> Int { c.port ?? (c.scheme?.lowercased() == "https" ? 443 : 80) }
        return base.scheme?.lowercased() == other.scheme?.lowercased() && base.host?.lowercased() == other.host?.lowercased() && port(base) == port(other)
    }

    /// The start of an error body worth quoting (JSON only: an HTML page says nothing useful).
    private static func detail(_ response: HTTPClientResponse) -> String {
        guard (response.header("Content-Type") ?? "").contains("json"), !response.body.isEmpty else { return "" }
        return ": " + String(response.bodyText.prefix(300))
    }
}
