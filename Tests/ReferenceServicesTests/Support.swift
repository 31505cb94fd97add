import Foundation
import ReferenceServices
import ServerRuntime
import TestSupport
import Testing
import TransportHTTP
import TransportKafka

/// Which stores a test stack uses.
enum StoreKind: String, CustomStringConvertible, CaseIterable {
    case memory, postgres
    var description: String { rawValue }

    static let databaseURL = ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"]
    /// Both stores; the PostgreSQL case reports itself skipped (cancelled, with the reason) when
    /// no server was given, rather than vanishing from the run.
    static let available: [StoreKind] = [.memory, .postgres]

    /// Ends the current PostgreSQL test case as skipped, saying why (never returns).
    static func skipPostgres() throws {
        try Test.cancel("the PostgreSQL case needs TOLLGATE_TEST_DATABASE_URL (make test starts a server)")
    }
}

/// The reference services on free loopback ports, with an HTTP client and an event reader.
final class TestStack: @unchecked Sendable {
    // Safe: every stored property is a constant of a thread-safe type.
    let stack: ServiceStack
    let client = HTTPClientPool()
    /// What the stack's services log (see `ServiceLog`).
    let log: ServiceLog

    /// Runs `body` against a fresh stack and stops it afterwards, also when `body` fails; the
    /// services log to the test, not the terminal.
    static func with(_ kind: StoreKind, configure: (inout StackConfiguration) -> Void = { _ in }, _ body: (TestStack) async throws -> Void) async throws {
        let log = ServiceLog()
        try await log.keep {
            let test = try await TestStack(kind, log: log, configure: configure)
            do { try await body(test) } catch {
                await test.stack.stop()
                throw error
            }
            await test.stack.stop()
        }
    }

    private init(_ kind: StoreKind, log: ServiceLog, configure: (inout StackConfiguration) -> Void) async throws {
        self.log = log
        var c = StackConfiguration.ephemeral()
        c.log = LogDestination(log.append)
        if kind == .postgres && StoreKind.databaseURL == nil { try StoreKind.skipPostgres() }
        if kind == .postgres, let base = StoreKind.databaseURL, var components = URLComponents(string: base) {
            components.path = "/t" + UUID().uuidString.prefix(8).lowercased().replacingOccurrences(of: "-", with: "")
            c.databaseURL = components.string
        }
        configure(&c)
        stack = try await ServiceStack.start(c)
    }

    var gateway: String { stack.gatewayURL }
    func url(_ service: String) -> String { stack.url(service)! }

    struct Reply {
        let status: Int
        let headers: [(name: String, value: String)]
        let body: [UInt8]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var errorMessage: String { (json["error"] as? [String: Any])?["message"] as? String ?? "" }
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
    }

    /// A request to `base + path` (the gateway by default).
    @discardableResult
    func call(_ method: String, _ path: String, json: Any? = nil, raw: String? = nil, token: String? = nil,
              headers: [(String, String)] = [], base: String? = nil) async throws -> Reply {
        var all = headers
        if let token { all.append(("Authorization", "Bearer \(token)")) }
        var body: [UInt8] = []
        if let json { body = Array(try JSONSerialization.data(withJSONObject: json)) }
        if let raw { body = Array(raw.utf8) }
        if !body.isEmpty { all.append(("Content-Type", "application/json")) }
        let response = try await client.send(HTTPClientRequest(method: method, url: (base ?? gateway) + path, headers: all, body: body, timeout: 30))
        return Reply(status: response.status, headers: response.headers, body: response.body)
    }

    /// A service-to-service call: straight to `service` (never through the gateway), with the
    /// stack's service credential.
    @discardableResult
    func internalCall(_ service: String, _ method: String, _ path: String, json: Any? = nil, headers: [(String, String)] = []) async throws -> Reply {
        try await call(method, path, json: json, token: stack.serviceToken, headers: headers, base: url(service))
    }

    /// Registers and logs in a new customer; returns (user id, token).
    func customer(_ name: String = "c") async throws -> (id: String, token: String) {
        let email = "\(name)-\(UUID().uuidString.prefix(8))@example.com"
        let registered = try await call("POST", "/api/v1/users/register", json: ["email": email, "password": "correct-horse", "first_name": "Test", "last_name": name])
        #expect(registered.status == 201)
        let login = try await call("POST", "/api/v1/users/login", json: ["email": email, "password": "correct-horse"])
        #expect(login.status == 200)
        return (try #require(registered.json["id"] as? String), try #require(login.json["token"] as? String))
    }

    func product(_ id: Int) async throws -> [String: Any] { try await call("GET", "/api/v1/products/\(id)").json }
    func stock(_ id: Int) async throws -> Int { try #require(try await product(id)["stock_quantity"] as? Int) }

    func setStock(_ id: Int, _ stock: Int) async throws {
        let reply = try await call("POST", "/api/v1/products/\(id)/inventory", json: ["stock_quantity": stock], token: stack.adminToken)
        #expect(reply.status == 200)
    }

    static var address: [String: Any] { ["street": "1 Main St", "city": "Springfield", "state": "IL", "zip_code": "62701", "country": "US"] }

    func order(_ token: String, items: [(Int, Int)], paymentMethod: String = "pm_card_visa", key: String? = nil) async throws -> Reply {
        try await call("POST", "/api/v1/orders", json: [
            "items": items.map { ["product_id": $0.0, "quantity": $0.1] },
            "shipping_address": Self.address, "payment_method": paymentMethod,
        ], token: token, headers: key.map { [("Idempotency-Key", $0)] } ?? [])
    }

    /// Events read back from the broker by an independent consumer, filtered by aggregate id.
    func events(for aggregate: String, until expected: Set<String>, timeout: Double = 15) async throws -> [Event] {
        let bootstrap = stack.kafkaBootstrap
        return try await offThePool { try Self.readEvents(bootstrap, aggregate, expected, timeout) }
    }

    struct Event: @unchecked Sendable {
        // Safe: built once from a record and never changed; the JSON dictionary is only read.
        let type: String
        let envelope: [String: Any]
        let message: KafkaMessage
        var payload: [String: Any] { envelope["payload"] as? [String: Any] ?? [:] }
    }

    private static func readEvents(_ bootstrap: String, _ aggregate: String, _ expected: Set<String>, _ timeout: Double) throws -> [Event] {
        let consumer = try KafkaConsumer(bootstrapServers: bootstrap, groupId: "test-\(UUID())")
        defer { consumer.close() }
        try consumer.assign(ServiceStack.topics.flatMap { topic in (0..<3).map { (topic, Int32($0)) } }, from: .beginning)
        var found: [Event] = []
        var deadline = Date().addingTimeInterval(timeout)
        var complete = false
        while Date() < deadline {
            if !complete, expected.isSubset(of: Set(found.map(\.type))) {
                // A moment more, to catch events that must not have happened.
                complete = true
                deadline = Date().addingTimeInterval(0.5)
            }
            guard let message = try consumer.poll(timeout: 0.1), message.keyText == aggregate else { continue }
            let envelope = (try? JSONSerialization.jsonObject(with: Data(message.value)) as? [String: Any]) ?? [:]
            found.append(Event(type: message.topic, envelope: envelope, message: message))
        }
        return found
    }
}

func decimal(_ value: Any?) -> Decimal? {
    switch value {
    case let n as NSNumber: return Decimal(string: n.stringValue)
    case let s as String: return Decimal(string: s)
    default: return nil
    }
}

