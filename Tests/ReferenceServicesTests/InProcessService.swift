import Foundation
import HTTPTypes
import Hummingbird
import Logging
@testable import ReferenceServices
import ServerRuntime
import Synchronization
import Testing

/// One reference service answered through its router in this process (`RouterClient`, as
/// Hummingbird's router test mode does): no socket, no broker, no other service, so a test of one service's requests and
/// answers costs a store and a router. Its events are kept in memory as the outbox relays them.
/// Tests about the stack (a saga across services, the outbox to Kafka, dual writes, shutdown)
/// use `TestStack` instead.
final class InProcessService: Sendable {
    let client: RouterClient
    let signer: JWTSigner
    private let published: KeptEvents

    /// An admin's token, a caller service's token and a new customer's token, signed as the
    /// user service would sign them.
    var adminToken: String { signer.adminToken(subject: UUID().uuidString.lowercased(), email: "admin@example.com") }
    var serviceToken: String { signer.serviceToken(for: "order-service") }
    func customerToken() -> String {
        let now = Int(Date().timeIntervalSince1970)
        return signer.sign(TokenClaims(sub: UUID().uuidString.lowercased(), email: "customer@example.com", role: "customer", iat: now, exp: now + 3600))
    }

    private init(client: RouterClient, signer: JWTSigner, published: KeptEvents) {
        self.client = client
        self.signer = signer
        self.published = published
    }

    /// The catalog service on `kind`'s store, seeded with `products` products.
    static func catalog(_ kind: StoreKind, products: Int = 20, _ body: @Sendable (InProcessService) async throws -> Void) async throws {
        try await run(kind, body) { stores, outboxes, signer in
            try await CatalogSeeder.seed(stores.catalog, products: products)
            return CatalogService(store: stores.catalog, outbox: outboxes.catalog, signer: signer).router(metrics: MetricsRegistry(service: "catalog-service"))
        }
    }

    /// The user service on `kind`'s store.
    static func users(_ kind: StoreKind, _ body: @Sendable (InProcessService) async throws -> Void) async throws {
        try await run(kind, body) { stores, outboxes, signer in
            UserService(store: stores.users, outbox: outboxes.users, signer: signer).router(metrics: MetricsRegistry(service: "user-service"))
        }
    }

    /// The payment service, its provider at an address nothing answers on: for what the
    /// service decides before it calls the provider.
    static func paymentWithoutProvider(_ body: @Sendable (InProcessService) async throws -> Void) async throws {
        let background = BackgroundTasks()
        try await run(.memory, body) { stores, outboxes, signer in
            PaymentService(store: stores.payments, outbox: outboxes.payments, provider: PeerClient(baseURL: "http://127.0.0.1:9", timeout: 1),
                           signer: signer, background: background).router(metrics: MetricsRegistry(service: "payment-service"))
        }
        await background.stop()
    }

    /// The payment provider simulator.
    static func paymentProvider(_ body: @Sendable (InProcessService) async throws -> Void) async throws {
        try await run(.memory, body) { _, _, signer in
            PaymentProvider(state: PaymentProviderState(faults: ProviderFaults()), signer: signer).router(metrics: MetricsRegistry(service: "payment-provider"))
        }
    }

    private static func run(_ kind: StoreKind, _ body: @Sendable (InProcessService) async throws -> Void,
                            router make: (ServiceStores, ServiceOutboxes, JWTSigner) async throws -> Router<ServiceContext>) async throws {
        var databaseURL: String?
        if kind == .postgres {
            guard let base = StoreKind.databaseURL, var components = URLComponents(string: base) else { try StoreKind.skipPostgres(); return }
            components.path = "/t" + UUID().uuidString.prefix(8).lowercased().replacingOccurrences(of: "-", with: "")
            databaseURL = components.string
        }
        let stores = try await ServiceStores.make(databaseURL: databaseURL)
        let published = KeptEvents()
        let outboxes = await stores.outboxes(publishingTo: published, logger: Logger(label: "outbox", factory: { _ in SwiftLogNoOpLogHandler() }))
        let signer = JWTSigner(secret: JWTSigner.randomSecret())
        do {
            let client = RouterClient(responder: try await make(stores, outboxes, signer).buildResponder())
            try await body(InProcessService(client: client, signer: signer, published: published))
        } catch {
            await outboxes.stop()
            throw error
        }
        await outboxes.stop()
    }

    struct Reply {
        let status: Int
        let headers: HTTPFields
        let body: [UInt8]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var errorMessage: String { (json["error"] as? [String: Any])?["message"] as? String ?? "" }
    }

    /// A request to the service, with a JSON body when `json` is given.
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, json: Any? = nil, token: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        var fields = headers
        if let token { fields[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            fields[.contentType] = "application/json"
        }
        let answer = try await client.execute(uri: path, method: method, headers: fields, body: body)
        return Reply(status: answer.status.code, headers: answer.headers, body: Array(buffer: answer.body))
    }

    /// The events published for `aggregate` once `expected` are among their types (the outbox
    /// relays them in the background), or what there was after `timeout` seconds.
    func events(for aggregate: String, until expected: Set<String>, timeout: Double = 10) async -> [DomainEvent] {
        let ofAggregate: @Sendable ([DomainEvent]) -> [DomainEvent] = { $0.filter { $0.aggregateID == aggregate } }
        await published.wait(timeout: timeout) { expected.isSubset(of: Set(ofAggregate($0).map(\.type))) }
        return ofAggregate(published.all)
    }
}

/// Keeps every event the outbox relays publish, and wakes who waits for some.
private final class KeptEvents: EventPublisher {
    private struct Waiter {
        let satisfied: @Sendable ([DomainEvent]) -> Bool
        let continuation: CheckedContinuation<Void, Never>
    }
    private struct State {
        var events: [DomainEvent] = []
        var waiters: [UUID: Waiter] = [:]
        /// Waits whose time ran out before they were registered.
        var expired: Set<UUID> = []
    }
    private let state = Mutex(State())

    var all: [DomainEvent] { state.withLock { $0.events } }

    func publish(_ event: DomainEvent) async throws {
        let woken = state.withLock { state -> [Waiter] in
            state.events.append(event)
            let events = state.events
            let ready = state.waiters.filter { $0.value.satisfied(events) }
            for id in ready.keys { state.waiters[id] = nil }
            return Array(ready.values)
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    func isReachable() async -> Bool { true }

    /// Returns once `satisfied` holds for the events kept, or after `timeout` seconds.
    func wait(timeout: Double, until satisfied: @escaping @Sendable ([DomainEvent]) -> Bool) async {
        let id = UUID()
        let deadline = ContinuousClock.now + .seconds(timeout)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let now = self.state.withLock { state -> Bool in
                        if state.expired.remove(id) != nil || satisfied(state.events) { return true }
                        state.waiters[id] = Waiter(satisfied: satisfied, continuation: continuation)
                        return false
                    }
                    if now { continuation.resume() }
                }
            }
            group.addTask {
                // The deadline: a publish that satisfies the wait resumes it before (and this is cancelled).
                try? await Task.sleep(until: deadline, clock: .continuous)
                let waiter = self.state.withLock { state -> Waiter? in
                    guard let waiter = state.waiters.removeValue(forKey: id) else {
                        state.expired.insert(id)
                        return nil
                    }
                    return waiter
                }
                waiter?.continuation.resume()
            }
            await group.next()
            group.cancelAll()
        }
        _ = state.withLock { $0.expired.remove(id) }
    }
}

extension InProcessService {
    func stock(_ id: Int) async throws -> Int {
        try #require(try await call(.get, "/api/v1/products/\(id)").json["stock_quantity"] as? Int)
    }

    func setStock(_ id: Int, _ stock: Int) async throws {
        #expect(try await call(.post, "/api/v1/products/\(id)/inventory", json: ["stock_quantity": stock], token: adminToken).status == 200)
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}
