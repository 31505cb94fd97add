import Foundation
import Hummingbird
import Logging

/// The monolith's one database: users, catalog, orders and payments side by side — in memory,
/// or on PostgreSQL in the database `monolith`, a schema per module.
public struct MonolithStores: Sendable {
    let users: any UserStore
    let catalog: any CatalogStore
    let orders: any OrderStore
    let payments: any PaymentStore

    static func make(databaseURL: String?) async throws -> MonolithStores {
        guard let databaseURL else {
            return MonolithStores(users: InMemoryUserStore(), catalog: InMemoryCatalogStore(), orders: InMemoryOrderStore(), payments: InMemoryPaymentStore())
        }
        func schema(_ name: String) async throws -> String { try await PostgresDatabases.url(databaseURL, database: "monolith", schema: name) }
        return MonolithStores(users: try await PostgresUserStore.open(try await schema("users")),
                              catalog: try await PostgresCatalogStore.open(try await schema("catalog")),
                              orders: try await PostgresOrderStore.open(try await schema("orders")),
                              payments: try await PostgresPaymentStore.open(try await schema("payments")))
    }

    var outboxStores: [any OutboxStore] { [users, catalog, orders, payments] }
}

/// The legacy monolith the strangler rollout carves the services out of: one process, one
/// database, the same public API, and no events (it has no broker: what its modules would
/// announce goes nowhere). Its modules are the services' own code, calling each other through
/// the monolith's port.
public final class Monolith: Sendable {
    public let server: RunningService
    let stores: MonolithStores
    let relays: [OutboxRelay]

    init(server: RunningService, stores: MonolithStores, relays: [OutboxRelay]) {
        self.server = server
        self.stores = stores
        self.relays = relays
    }

    public var url: String { server.url }

    /// Starts the monolith; its /metrics also counts the services' dual writes into it.
    static func start(stores: MonolithStores, dualWriter: DualWriter?, signer: JWTSigner, providerURL: String, providerTimeout: Double, reconcileAfter: Double,
                      options: ServiceOptions, host: String, port: Int) async throws -> Monolith {
        let relays = stores.outboxStores.map { OutboxRelay(store: $0, publisher: NoBrokerPublisher()) }
        for relay in relays { await relay.start() }
        let own = LateBoundURL()
        let credential = (signer: signer, caller: "monolith")
        let users = UserService(store: stores.users, outbox: relays[0], signer: signer)
        let catalog = CatalogService(store: stores.catalog, outbox: relays[1], signer: signer)
        let orders = OrderService(store: stores.orders, outbox: relays[2], signer: signer, catalog: PeerClient(lateBase: own, credential: credential),
                                  payments: PeerClient(lateBase: own, credential: credential), users: PeerClient(lateBase: own, credential: credential))
        let payments = PaymentService(store: stores.payments, outbox: relays[3], provider: PeerClient(baseURL: providerURL, timeout: providerTimeout),
                                      signer: signer, reconcileAfter: reconcileAfter)
        let router = makeServiceRouter(name: "monolith", metrics: MetricsRegistry(service: "monolith", extra: { dualWriter?.prometheusText() ?? "" }), options: options, readiness: [
            "database": { await stores.users.isReachable() },
        ])
        // Provider states belong to the services' contracts, not the monolith.
        let moduleOptions = ServiceOptions(providerStates: false, breakages: options.breakages)
        users.addRoutes(to: router, options: moduleOptions)
        catalog.addRoutes(to: router, options: moduleOptions)
        orders.addRoutes(to: router, options: moduleOptions)
        payments.addRoutes(to: router, options: moduleOptions)
        let server: RunningService
        do {
            server = try await RunningService.start(name: "monolith", router: router, host: host, port: port)
        } catch {
            for relay in relays { await relay.stop() }
            throw error
        }
        own.bind(server.url)
        return Monolith(server: server, stores: stores, relays: relays)
    }

    func stop(within seconds: Double) async {
        await server.stop(within: seconds)
        for relay in relays { await relay.stop() }
    }
}

/// Where the monolith's modules "publish": nowhere.
struct NoBrokerPublisher: EventPublisher {
    func publish(_ event: DomainEvent) async throws {}
    func isReachable() async -> Bool { true }
    var recorder: EventRecorder? { nil }
}
