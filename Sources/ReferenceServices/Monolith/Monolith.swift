import Foundation
import ServerRuntime
import Hummingbird
import Logging

/// The legacy monolith the strangler rollout carves the services out of: one process, one
/// database, the same public API, and no events (it has no broker: what its modules would
/// announce goes nowhere). Its modules are the services' own code, calling each other through
/// the monolith's port.
package final class Monolith: Sendable {
    package let server: RunningService
    let stores: ServiceStores
    let relays: [OutboxRelay]

    init(server: RunningService, stores: ServiceStores, relays: [OutboxRelay]) {
        self.server = server
        self.stores = stores
        self.relays = relays
    }

    package var url: String { server.url }

    /// Starts the monolith; its /metrics also counts the services' dual writes into it.
    static func start(stores: ServiceStores, dualWriter: DualWriter?, signer: JWTSigner, providerURL: String, providerTimeout: Double, reconcileAfter: Double,
                      background: BackgroundTasks, options: ServiceOptions, host: String, port: Int, log: LogDestination?) async throws -> Monolith {
        let relays = stores.all.map { OutboxRelay(store: $0, publisher: NoBrokerPublisher(), logger: LogDestination.logger("outbox", to: log)) }
        for relay in relays { await relay.start() }
        let own = LateBoundURL()
        let credential = (signer: signer, caller: "monolith")
        let users = UserService(store: stores.users, outbox: relays[0], signer: signer)
        let catalog = CatalogService(store: stores.catalog, outbox: relays[1], signer: signer)
        let orders = OrderService(store: stores.orders, outbox: relays[2], signer: signer, catalog: PeerClient(lateBase: own, credential: credential),
                                  payments: PeerClient(lateBase: own, credential: credential), users: PeerClient(lateBase: own, credential: credential))
        let payments = PaymentService(store: stores.payments, outbox: relays[3], provider: PeerClient(baseURL: providerURL, timeout: providerTimeout),
                                      signer: signer, reconcileAfter: reconcileAfter, background: background)
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
            server = try await RunningService.start(name: "monolith", router: router, host: host, port: port, log: log)
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
