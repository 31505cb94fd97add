import Foundation
import Logging
import ServerRuntime
package import TransportKafka

/// All reference services in one process: the embedded Kafka broker (unless brokers are
/// given), the stores, the payment provider, user, catalog, payment and order services,
/// and the API gateway in front of them.
package final class ServiceStack: Sendable {
    package let configuration: StackConfiguration
    package let services: [RunningService]
    /// The outbox relays of the four services that publish events.
    package let outboxes: ServiceOutboxes
    package let kafkaBootstrap: String
    package let rollout: RolloutState
    package let providerState: PaymentProviderState
    /// The seeded admin and its token, for scripts and tests.
    package let adminToken: String
    /// A service credential (`role: service`) for calling service-to-service operations directly
    /// (verifying the contracts between services, scripts, tests).
    package let serviceToken: String
    /// The legacy monolith (nil when the gateway's legacy upstream is another one).
    package let monolith: Monolith?
    /// The services' writes into the monolith's database (nil without the monolith).
    package let dualWriter: DualWriter?
    let bus: EventBus
    /// Work the services started beside their requests (payment reconciliations).
    let background: BackgroundTasks

    /// The broker this stack started itself (nil with `kafkaBrokers`), for fault tests.
    package var embeddedBroker: EmbeddedKafkaBroker? { bus.broker }

    package func url(_ name: String) -> String? { name == "monolith" ? monolith?.url : services.first { $0.name == name }?.url }
    package var gatewayURL: String { gateway.url }
    /// The API gateway (always started, always last).
    let gateway: RunningService

    /// Every address of the stack in the environment variables the guide's compose file uses
    /// (`USER_SERVICE_URL`, …, `MONOLITH_URL`; those of parts not started are absent).
    package var environment: [String: String] {
        var variables = ["TARGET": gatewayURL, "KAFKA_BROKERS": kafkaBootstrap]
        for (name, variable) in [("user-service", "USER_SERVICE_URL"), ("catalog-service", "CATALOG_SERVICE_URL"), ("order-service", "ORDER_SERVICE_URL"),
                                 ("payment-service", "PAYMENT_SERVICE_URL"), ("payment-provider", "PAYMENT_PROVIDER_URL"), ("monolith", "MONOLITH_URL")] {
            variables[variable] = url(name)
        }
        return variables
    }

    init(configuration: StackConfiguration, services: [RunningService], outboxes: ServiceOutboxes, kafkaBootstrap: String, rollout: RolloutState,
         providerState: PaymentProviderState, adminToken: String, serviceToken: String, monolith: Monolith?, dualWriter: DualWriter?, bus: EventBus,
         background: BackgroundTasks, gateway: RunningService) {
        self.configuration = configuration
        self.services = services
        self.gateway = gateway
        self.outboxes = outboxes
        self.kafkaBootstrap = kafkaBootstrap
        self.rollout = rollout
        self.providerState = providerState
        self.adminToken = adminToken
        self.serviceToken = serviceToken
        self.monolith = monolith
        self.dualWriter = dualWriter
        self.bus = bus
        self.background = background
    }

    package static let topics = ["user.registered", "product.created", "product.updated", "inventory.reserved", "inventory.released",
                                "order.created", "order.confirmed", "order.cancelled", "order.shipped", "order.delivered",
                                "payment.completed", "payment.failed", "payment.refunded"]

    /// Starts everything and seeds the catalog and an admin user.
    package static func start(_ configuration: StackConfiguration) async throws -> ServiceStack {
        let options = configuration.serviceOptions
        let bus = try await EventBus.start(brokers: configuration.kafkaBrokers, fixedPort: configuration.kafkaPort, host: configuration.host, options: options)
        var stores = try await ServiceStores.make(databaseURL: configuration.databaseURL)
        let monolithStores = configuration.legacyURL == nil ? try await ServiceStores.makeMonolith(databaseURL: configuration.databaseURL) : nil
        let log = configuration.log
        let dualWriter = monolithStores.map { DualWriter(monolith: $0, dropShare: configuration.dualWriteDrop, logger: LogDestination.logger("dual-write", to: log)) }
        let serviceStores = stores
        if let dualWriter { stores = stores.dualWriting(to: dualWriter) }
        let outboxes = await stores.outboxes(publishingTo: bus.publisher, logger: LogDestination.logger("outbox", to: log))
        let signer = JWTSigner(secret: configuration.jwtSecret)
        let host = configuration.host
        var running: [RunningService] = []
        var monolith: Monolith?
        let background = BackgroundTasks()
        do {
            let providerState = PaymentProviderState(faults: configuration.providerFaults)
            let providerURL: String
            if let given = configuration.providerURL {
                providerURL = given
            } else {
                let provider = try await RunningService.start(name: "payment-provider", router: PaymentProvider(state: providerState, signer: signer).router(metrics: MetricsRegistry(service: "payment-provider"), options: options),
                                                              host: host, port: configuration.providerPort, log: log)
                running.append(provider)
                providerURL = provider.url
            }
            let users = UserService(store: stores.users, outbox: outboxes.users, signer: signer)
            let user = try await RunningService.start(name: "user-service", router: users.router(metrics: MetricsRegistry(service: "user-service"), options: options), host: host, port: configuration.userPort, log: log)
            running.append(user)
            let catalogService = CatalogService(store: stores.catalog, outbox: outboxes.catalog, signer: signer)
            let catalog = try await RunningService.start(name: "catalog-service", router: catalogService.router(metrics: MetricsRegistry(service: "catalog-service"), options: options), host: host, port: configuration.catalogPort, log: log)
            running.append(catalog)
            let paymentService = PaymentService(store: stores.payments, outbox: outboxes.payments,
                                                provider: PeerClient(baseURL: providerURL, timeout: configuration.providerTimeout), signer: signer,
                                                reconcileAfter: configuration.reconcileAfter, background: background)
            let payment = try await RunningService.start(name: "payment-service", router: paymentService.router(metrics: MetricsRegistry(service: "payment-service"), options: options), host: host, port: configuration.paymentPort, log: log)
            running.append(payment)
            let orderService = ServiceAssembly.orderService(store: stores.orders, outbox: outboxes.orders, signer: signer,
                                                            catalog: catalog.url, payments: payment.url, users: user.url)
            let order = try await RunningService.start(name: "order-service", router: orderService.router(metrics: MetricsRegistry(service: "order-service"), options: options), host: host, port: configuration.orderPort, log: log)
            running.append(order)
            if let monolithStores {
                monolith = try await Monolith.start(stores: monolithStores, dualWriter: dualWriter, signer: signer, providerURL: providerURL, providerTimeout: configuration.providerTimeout,
                                                    reconcileAfter: configuration.reconcileAfter, background: background, options: options, host: host, port: configuration.monolithPort,
                                                    log: log)
            }
            let rollout = RolloutState(percent: configuration.rolloutPercent)
            let backfill = monolithStores.map { legacy in
                { @Sendable in
                    let copied = try await Backfill.run(services: serviceStores, monolith: legacy)
                    dualWriter?.backfilled()
                    return copied
                }
            }
            let gateway = Gateway(routes: GatewayRoutes(users: user.url, catalog: catalog.url, orders: order.url), signer: signer,
                                  legacy: configuration.legacyURL ?? monolith?.url, rollout: rollout, backfill: backfill,
                                  trustedProxies: configuration.trustedProxies,
                                  mirror: configuration.mirrorPercent > 0 ? GatewayMirror(percent: configuration.mirrorPercent, ignored: configuration.mirrorIgnored) : nil)
            let gatewayServer = try await RunningService.start(name: "api-gateway", router: gateway.router(metrics: MetricsRegistry(service: "api-gateway"), options: options),
                                                               host: host, port: configuration.gatewayPort, log: log)
            running.append(gatewayServer)

            let admin: User
            if let existing = try await stores.users.user(email: configuration.adminEmail) {
                admin = existing
            } else {
                // Straight into the service's store: the seed is no dual write (the monolith gets
                // the operator below), so a dual-write drop share counts traffic's writes only.
                let seeding = UserService(store: serviceStores.users, outbox: outboxes.users, signer: signer)
                admin = try await seeding.createUser(email: configuration.adminEmail, password: configuration.adminPassword, firstName: "Tollgate", lastName: "Admin", role: "admin")
            }
            try await CatalogSeeder.seed(serviceStores.catalog, products: configuration.seedProducts)
            if let monolithStores {
                // The monolith had the catalog and the operator long before the services.
                try await CatalogSeeder.seed(monolithStores.catalog, products: configuration.seedProducts)
                if try await monolithStores.users.user(id: admin.id) == nil, try await monolithStores.users.user(email: admin.email) == nil {
                    try await monolithStores.users.insert(admin, events: [])
                }
            }
            return ServiceStack(configuration: configuration, services: running, outboxes: outboxes, kafkaBootstrap: bus.bootstrap, rollout: rollout,
                                providerState: providerState, adminToken: signer.adminToken(subject: admin.id, email: admin.email),
                                serviceToken: signer.serviceToken(for: "operator", lifetime: 30 * 86400), monolith: monolith, dualWriter: dualWriter, bus: bus,
                                background: background, gateway: gatewayServer)
        } catch {
            for service in running.reversed() { await service.stop() }
            await monolith?.stop(within: 1)
            await background.stop()
            await outboxes.stop()
            await bus.stop()
            throw error
        }
    }

    /// Stops the work the services started in the background (payment reconciliations: they
    /// would open connections to a provider that is closing), then the gateway, the monolith,
    /// the services, and the provider last, so in-flight purchases finish; requests still running
    /// after `seconds` in all are cancelled. Then the outbox relays and the broker: when this
    /// returns, nothing of the stack runs or listens.
    package func stop(within seconds: Double = 5) async {
        let deadline = Date().addingTimeInterval(seconds)
        await background.stop()
        var remaining = Array(services.reversed())
        if let gateway = remaining.first, gateway.name == "api-gateway" {
            await gateway.stop(within: max(0.05, deadline.timeIntervalSinceNow))
            remaining.removeFirst()
        }
        await monolith?.stop(within: max(0.05, deadline.timeIntervalSinceNow))
        for service in remaining {
            await service.stop(within: max(0.05, deadline.timeIntervalSinceNow))
        }
        await outboxes.stop()
        await bus.stop()
    }
}

/// The users, catalog, orders and payments stores: in memory, or on PostgreSQL — the services'
/// one database each, the monolith's one database with a schema per module.
struct ServiceStores: Sendable {
    let users: any UserStore
    let catalog: any CatalogStore
    let orders: any OrderStore
    let payments: any PaymentStore

    /// The four services' stores.
    static func make(databaseURL: String?) async throws -> ServiceStores {
        try await open(databaseURL) { base, module in try await PostgresDatabases.url(base, database: module) }
    }

    /// The monolith's stores: the database `monolith`, a schema per former module.
    static func makeMonolith(databaseURL: String?) async throws -> ServiceStores {
        try await open(databaseURL) { base, module in try await PostgresDatabases.url(base, database: "monolith", schema: module) }
    }

    /// In memory without a database; else each module's store at the URL `location` gives it.
    private static func open(_ databaseURL: String?, location: (_ base: String, _ module: String) async throws -> String) async throws -> ServiceStores {
        guard let databaseURL else {
            return ServiceStores(users: InMemoryUserStore(), catalog: InMemoryCatalogStore(), orders: InMemoryOrderStore(), payments: InMemoryPaymentStore())
        }
        return ServiceStores(users: try await PostgresUserStore.open(try await location(databaseURL, "users")),
                             catalog: try await PostgresCatalogStore.open(try await location(databaseURL, "catalog")),
                             orders: try await PostgresOrderStore.open(try await location(databaseURL, "orders")),
                             payments: try await PostgresPaymentStore.open(try await location(databaseURL, "payments")))
    }

    /// Every store (each keeps its module's outbox).
    var all: [any OutboxStore] { [users, catalog, orders, payments] }

    /// The stores the services use while the migration is in progress: they also write into
    /// the monolith, and the user service imports users the monolith has and it has not.
    func dualWriting(to writer: DualWriter) -> ServiceStores {
        ServiceStores(users: ServiceAssembly.users(users, dualWriter: writer), catalog: ServiceAssembly.catalog(catalog, dualWriter: writer),
                      orders: ServiceAssembly.orders(orders, dualWriter: writer), payments: ServiceAssembly.payments(payments, dualWriter: writer))
    }

    /// One started relay per store, all publishing to `publisher`.
    func outboxes(publishingTo publisher: any EventPublisher, logger: Logger) async -> ServiceOutboxes {
        func relay(_ store: any OutboxStore) -> OutboxRelay { OutboxRelay(store: store, publisher: publisher, logger: logger) }
        let outboxes = ServiceOutboxes(users: relay(users), catalog: relay(catalog), orders: relay(orders), payments: relay(payments))
        for relay in outboxes.all { await relay.start() }
        return outboxes
    }
}

/// The outbox relays of the services that publish events.
package struct ServiceOutboxes: Sendable {
    package let users: OutboxRelay, catalog: OutboxRelay, orders: OutboxRelay, payments: OutboxRelay

    package var all: [OutboxRelay] { [users, catalog, orders, payments] }

    /// Events not yet published, in all four outboxes.
    package func pendingEvents() async throws -> Int {
        var total = 0
        for relay in all { total += try await relay.store.pendingEventCount() }
        return total
    }

    func stop() async {
        for relay in all { await relay.stop() }
    }
}

/// Seeds categories and products with stock, so the catalog has something to sell.
enum CatalogSeeder {
    static let tree: [(name: String, children: [String])] = [
        ("Electronics", ["Phones", "Laptops", "Audio"]), ("Home", ["Kitchen", "Furniture"]),
        ("Books", ["Fiction", "Technical"]), ("Sports", ["Running", "Cycling"]),
    ]

    static func seed(_ store: any CatalogStore, products count: Int) async throws {
        guard try await store.categories().isEmpty else { return }
        var leaves: [Category] = []
        for (name, children) in tree {
            let parent = try await store.insertCategory(name: name, slug: slug(name), parentID: nil)
            for child in children { leaves.append(try await store.insertCategory(name: child, slug: slug(child), parentID: parent.id)) }
        }
        let adjectives = ["Classic", "Pro", "Compact", "Deluxe", "Eco", "Smart", "Ultra", "Travel"]
        for i in 0..<count {
            let category = leaves[i % leaves.count]
            let price = Decimal(string: "\(5 + (i * 37) % 495).\(String(format: "%02d", (i * 13) % 100))")!
            _ = try await store.insert(NewProduct(
                sku: String(format: "SKU-%05d", i + 1), name: "\(adjectives[i % adjectives.count]) \(category.name) Item \(i + 1)",
                description: "A \(adjectives[i % adjectives.count].lowercased()) product from \(category.name.lowercased()).",
                price: price, categoryId: category.id, stockQuantity: 50 + (i * 7) % 200,
                images: ["https://images.tollgate.local/products/\(i + 1).jpg"])) { _ in [] }
        }
    }

    static func slug(_ name: String) -> String { name.lowercased().replacingOccurrences(of: " ", with: "-") }
}
