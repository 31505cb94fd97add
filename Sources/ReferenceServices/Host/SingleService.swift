import Foundation
import Hummingbird
package import ServerRuntime

/// One reference service on its own, its peers reached over HTTP (the guide's docker-compose
/// layout: `DATABASE_URL`, `KAFKA_BROKERS`, `JWT_SECRET`, `CATALOG_SERVICE_URL`, …).
package struct SingleServiceOptions: Sendable {
    package var name: String
    package var host = "127.0.0.1"
    package var port: Int?
    /// This service's own database; nil keeps data in memory.
    package var databaseURL: String?
    package var kafkaBrokers: String?
    /// The HS256 secret every service shares; `services run` makes a random one when none is given.
    package var jwtSecret: String
    package var userServiceURL = "http://127.0.0.1:3001"
    package var catalogServiceURL = "http://127.0.0.1:3002"
    package var orderServiceURL = "http://127.0.0.1:3003"
    package var paymentServiceURL = "http://127.0.0.1:3004"
    package var paymentProviderURL = "http://127.0.0.1:3005"
    package var legacyURL: String?
    /// The monolith's database: the user, catalog and order services dual-write into it while
    /// the rollout is in progress (the guide's phase 2); nil writes nowhere else.
    package var monolithDatabaseURL: String?
    package var rolloutPercent = 100
    /// Gateway: proxies whose `X-Forwarded-For` it believes (`TRUSTED_PROXIES`).
    package var trustedProxies = TrustedProxies()
    /// Gateway: the share (0–100) of GETs mirrored for live parity, and the JSON paths never compared.
    package var mirrorPercent = 0.0
    package var mirrorIgnored: Set<String> = []
    package var providerFaults = ProviderFaults()
    package var seedProducts = 300
    package var providerStates = false
    package var breakages: [Breakage] = []
    /// Where the service's own logs go (the outbox relay, the dual writes, the monolith); nil: standard error.
    package var log: LogDestination?

    package init(name: String, jwtSecret: String = JWTSigner.randomSecret()) {
        self.name = name
        self.jwtSecret = jwtSecret
    }

    package static let names = ["user", "catalog", "order", "payment", "payment-provider", "gateway", "monolith"]
    static let defaultPorts = ["user": 3001, "catalog": 3002, "order": 3003, "payment": 3004, "payment-provider": 3005, "gateway": 8000, "monolith": 3000]
}

/// A started single service and the embedded broker it brought, if any.
package struct StartedService: Sendable {
    package let service: RunningService
    package let kafkaBootstrap: String?
    let bus: EventBus?
    let outbox: OutboxRelay?
    let monolith: Monolith?
    let background: BackgroundTasks

    /// Stops the work the service started in the background, then the service; requests still
    /// running after `seconds` are cancelled.
    package func stop(within seconds: Double = 5) async {
        await background.stop()
        if let monolith { await monolith.stop(within: seconds) } else { await service.stop(within: seconds) }
        await outbox?.stop()
        await bus?.stop()
    }
}

package enum SingleService {
    package static func start(_ options: SingleServiceOptions) async throws -> StartedService {
        guard let defaultPort = SingleServiceOptions.defaultPorts[options.name] else {
            throw ServiceStartError(name: options.name, host: options.host, port: 0,
                                    reason: "unknown service; one of \(SingleServiceOptions.names.joined(separator: ", "))")
        }
        let port = options.port ?? defaultPort
        let signer = JWTSigner(secret: options.jwtSecret)
        let metrics = MetricsRegistry(service: options.name)
        let serviceOptions = ServiceOptions(providerStates: options.providerStates, breakages: options.breakages)
        // Only the services that publish events need Kafka.
        let bus = ["user", "catalog", "order", "payment"].contains(options.name)
            ? try await EventBus.start(brokers: options.kafkaBrokers, fixedPort: nil, host: options.host, options: serviceOptions) : nil
        /// A relay for the store of a service that publishes events, started.
        func relay(_ store: any OutboxStore) async -> OutboxRelay {
            let relay = OutboxRelay(store: store, publisher: bus!.publisher, logger: LogDestination.logger("outbox", to: options.log))
            await relay.start()
            return relay
        }
        var outbox: OutboxRelay?
        let background = BackgroundTasks()
        // Only the services whose data the monolith also keeps dual-write into it.
        var dualWriter: DualWriter?
        if let url = options.monolithDatabaseURL, ["user", "catalog", "order", "payment"].contains(options.name) {
            dualWriter = DualWriter(monolith: try await ServiceStores.makeMonolith(databaseURL: url), dropShare: 0,
                                    logger: LogDestination.logger("dual-write", to: options.log))
        }
        let router: Router<ServiceContext>
        switch options.name {
        case "monolith":
            let stores = try await ServiceStores.makeMonolith(databaseURL: options.databaseURL)
            try await CatalogSeeder.seed(stores.catalog, products: options.seedProducts)
            let defaults = StackConfiguration()
            let monolith = try await Monolith.start(stores: stores, dualWriter: nil, signer: signer, providerURL: options.paymentProviderURL,
                                                    providerTimeout: defaults.providerTimeout, reconcileAfter: defaults.reconcileAfter, background: background,
                                                    options: serviceOptions, host: options.host, port: port, log: options.log)
            return StartedService(service: monolith.server, kafkaBootstrap: nil, bus: nil, outbox: nil, monolith: monolith, background: background)
        case "user":
            var store: any UserStore
            if let url = options.databaseURL { store = try await PostgresUserStore.open(url) } else { store = InMemoryUserStore() }
            store = ServiceAssembly.users(store, dualWriter: dualWriter)
            outbox = await relay(store)
            router = UserService(store: store, outbox: outbox!, signer: signer).router(metrics: metrics, options: serviceOptions)
        case "catalog":
            var store: any CatalogStore
            if let url = options.databaseURL { store = try await PostgresCatalogStore.open(url) } else { store = InMemoryCatalogStore() }
            try await CatalogSeeder.seed(store, products: options.seedProducts)
            store = ServiceAssembly.catalog(store, dualWriter: dualWriter)
            outbox = await relay(store)
            router = CatalogService(store: store, outbox: outbox!, signer: signer).router(metrics: metrics, options: serviceOptions)
        case "order":
            var store: any OrderStore
            if let url = options.databaseURL { store = try await PostgresOrderStore.open(url) } else { store = InMemoryOrderStore() }
            store = ServiceAssembly.orders(store, dualWriter: dualWriter)
            outbox = await relay(store)
            router = ServiceAssembly.orderService(store: store, outbox: outbox!, signer: signer, catalog: options.catalogServiceURL,
                                                  payments: options.paymentServiceURL, users: options.userServiceURL).router(metrics: metrics, options: serviceOptions)
        case "payment":
            var store: any PaymentStore
            if let url = options.databaseURL { store = try await PostgresPaymentStore.open(url) } else { store = InMemoryPaymentStore() }
            store = ServiceAssembly.payments(store, dualWriter: dualWriter)
            outbox = await relay(store)
            router = PaymentService(store: store, outbox: outbox!, provider: PeerClient(baseURL: options.paymentProviderURL, timeout: 3), signer: signer,
                                    background: background)
                .router(metrics: metrics, options: serviceOptions)
        case "payment-provider":
            router = PaymentProvider(state: PaymentProviderState(faults: options.providerFaults), signer: signer).router(metrics: metrics, options: serviceOptions)
        default:
            router = Gateway(routes: GatewayRoutes(users: options.userServiceURL, catalog: options.catalogServiceURL, orders: options.orderServiceURL),
                             signer: signer, legacy: options.legacyURL, rollout: RolloutState(percent: options.rolloutPercent),
                             trustedProxies: options.trustedProxies,
                             mirror: options.mirrorPercent > 0 ? GatewayMirror(percent: options.mirrorPercent, ignored: options.mirrorIgnored) : nil)
                .router(metrics: metrics, options: serviceOptions)
        }
        let service = try await RunningService.start(name: options.name, router: router, host: options.host, port: port, log: options.log)
        return StartedService(service: service, kafkaBootstrap: bus?.bootstrap, bus: bus, outbox: outbox, monolith: nil, background: background)
    }
}
