import Foundation
import Logging
import Synchronization

/// The migration guide's phase 2: while the rollout is in progress the new services also
/// write what they change (users, orders, product data) into the monolith's database, so the
/// monolith keeps serving the users it still has. A write to the monolith never fails the
/// service's own request: it is counted and logged, and the consistency check finds the gap.
package final class DualWriter: Sendable {
    let monolith: ServiceStores
    /// The share of dual writes dropped on purpose (`--break dual-write-drop=0.1`).
    let dropShare: Double
    private let state = Mutex(DropState())
    private let logger: Logger

    init(monolith: ServiceStores, dropShare: Double, logger: Logger = Logger(label: "dual-write")) {
        self.monolith = monolith
        self.dropShare = dropShare
        self.logger = logger
    }

    /// Dual writes made, dropped on purpose, and failed since the start.
    package var counts: DualWriteCounts { state.withLock { $0.counts } }

    /// Runs one write of `row` (in `table`) into the monolith unless it is dropped. Drops are an
    /// `EvenShare` of each table's writes (with 0.001 the 1st, 1001st … write of users, of
    /// orders, of products); a row whose write was dropped stays lost, its later writes dropped
    /// too, until a backfill repairs it.
    func write(_ table: String, _ row: String, _ operation: () async throws -> Void) async {
        let key = "\(table) \(row)"
        let drop = state.withLock { state in
            var lost = state.lostRows.contains(key)
            if !lost {
                lost = state.drops[table, default: EvenShare(dropShare)].next()
                if lost { state.lostRows.insert(key) }
            }
            if lost { state.counts.dropped += 1 }
            return lost
        }
        if drop { return }
        do {
            try await operation()
            state.withLock { $0.counts.written += 1 }
        } catch {
            state.withLock { $0.counts.failed += 1 }
            logger.warning("dual write of \(key) to the monolith failed: \(error)")
        }
    }

    /// The counts in Prometheus text format, for the monolith's /metrics.
    func prometheusText() -> String {
        let counts = self.counts
        var out = "# HELP dual_writes_total The services' writes into the monolith's database, by outcome.\n# TYPE dual_writes_total counter\n"
        for (outcome, value) in [("written", counts.written), ("dropped", counts.dropped), ("failed", counts.failed)] {
            out += "dual_writes_total{outcome=\"\(outcome)\"} \(value)\n"
        }
        return out
    }

    /// A backfill has copied every row across: the lost ones take dual writes again.
    func backfilled() {
        state.withLock { $0.lostRows.removeAll() }
    }

    private struct DropState {
        var counts = DualWriteCounts()
        /// Rows ("table id") whose writes are dropped.
        var lostRows: Set<String> = []
        /// Per table, which writes to rows not lost yet are dropped.
        var drops: [String: EvenShare] = [:]
    }

    /// Writes what the services changed in `user` (from `previous`, nil for a new row) into the
    /// monolith's row: fields the monolith changed meanwhile survive (`ChangedFields`).
    func user(_ user: User, previous: User?) async {
        await write("user", user.id) {
            guard let current = try await monolith.users.user(id: user.id) else {
                do { try await monolith.users.insert(user, events: []) } catch StoreError.duplicate { try await monolith.users.update(user) }
                return
            }
            let carried = previous.map { ChangedFields.user.carry(from: $0, to: user, onto: current) } ?? user
            if carried != current { try await monolith.users.update(carried) }
        }
    }

    func order(_ order: Order, previous: Order?) async {
        await write("order", order.id) {
            guard let current = try await monolith.orders.order(id: order.id) else {
                try await monolith.orders.insert(order, events: [])
                return
            }
            let carried = previous.map { ChangedFields.order.carry(from: $0, to: order, onto: current) } ?? order
            if carried != current { try await monolith.orders.update(carried, events: []) }
        }
    }

    func product(_ product: Product, previous: Product?) async {
        await write("product", String(product.id)) {
            let current = try await monolith.catalog.product(id: product.id)
            let carried = current.flatMap { current in previous.map { ChangedFields.product.carry(from: $0, to: product, onto: current) } } ?? product
            try await monolith.catalog.update(carried, events: [])
            _ = try await monolith.catalog.setStock(productID: carried.id, to: carried.stockQuantity, adjustBy: nil) { _ in [] }
        }
    }

    /// A payment the services took, kept in the monolith too: after a roll back the monolith
    /// refunds it when the customer cancels.
    func payment(_ payment: Payment) async {
        await write("payment", payment.id) {
            guard try await monolith.payments.payment(id: payment.id) == nil else { return }
            do { try await monolith.payments.insert(payment, events: []) } catch StoreError.duplicate {}
        }
    }

    /// A refund the services made, and the payment's new state, kept in the monolith too.
    func refund(_ refund: Refund, payment: Payment) async {
        await write("payment", payment.id) {
            if try await monolith.payments.payment(id: payment.id) == nil {
                var original = payment
                original.status = "completed"
                original.refundedAmount = 0
                do { try await monolith.payments.insert(original, events: []) } catch StoreError.duplicate {}
            }
            try await monolith.payments.record(refund, updating: payment, events: [])
        }
    }
}

package struct DualWriteCounts: Sendable, Equatable {
    package var written = 0, dropped = 0, failed = 0
}

/// A store that wraps another: its outbox is the wrapped store's.
protocol OutboxForwarding: OutboxStore {
    var outboxStore: any OutboxStore { get }
}

extension OutboxForwarding {
    func claimPendingEvents(limit: Int) async throws -> [DomainEvent] { try await outboxStore.claimPendingEvents(limit: limit) }
    func markSent(_ eventIDs: [String]) async throws { try await outboxStore.markSent(eventIDs) }
    func releaseClaims(_ eventIDs: [String]) async throws { try await outboxStore.releaseClaims(eventIDs) }
    func enqueue(_ events: [DomainEvent]) async throws { try await outboxStore.enqueue(events) }
    func pendingEventCount() async throws -> Int { try await outboxStore.pendingEventCount() }
}

/// The user service's store during the migration: what it writes is also written to the
/// monolith, and a user it does not know yet but the monolith does is imported on first read
/// (registered there before the user was routed to the services).
final class DualWritingUserStore: UserStore, OutboxForwarding {
    let inner: any UserStore
    let dualWriter: DualWriter
    var outboxStore: any OutboxStore { inner }

    init(_ inner: any UserStore, dualWriter: DualWriter) {
        self.inner = inner
        self.dualWriter = dualWriter
    }

    func insert(_ user: User, events: [DomainEvent]) async throws {
        try await inner.insert(user, events: events)
        await dualWriter.user(user, previous: nil)
    }

    func user(id: String) async throws -> User? {
        if let user = try await inner.user(id: id) { return user }
        return try await imported(try await dualWriter.monolith.users.user(id: id))
    }

    func user(email: String) async throws -> User? {
        if let user = try await inner.user(email: email) { return user }
        return try await imported(try await dualWriter.monolith.users.user(email: email))
    }

    /// Copies a user from the monolith (no event: the user registered long ago).
    private func imported(_ user: User?) async throws -> User? {
        guard let user else { return nil }
        do { try await inner.insert(user, events: []) } catch StoreError.duplicate {}
        return try await inner.user(id: user.id)
    }

    func update(_ user: User) async throws {
        let previous = try await inner.user(id: user.id)
        try await inner.update(user)
        await dualWriter.user(user, previous: previous)
    }

    func addresses(userID: String) async throws -> [Address] { try await inner.addresses(userID: userID) }
    func insert(_ address: Address) async throws { try await inner.insert(address) }
    func recordSession(userID: String, tokenID: String, expiresAt: Date) async throws {
        try await inner.recordSession(userID: userID, tokenID: tokenID, expiresAt: expiresAt)
    }
    func users(after id: String?, limit: Int) async throws -> [User] { try await inner.users(after: id, limit: limit) }
    func isReachable() async -> Bool { await inner.isReachable() }
}

/// The order service's store during the migration: every order it saves is also saved in the
/// monolith's `orders`.
final class DualWritingOrderStore: OrderStore, OutboxForwarding {
    let inner: any OrderStore
    let dualWriter: DualWriter
    var outboxStore: any OutboxStore { inner }

    init(_ inner: any OrderStore, dualWriter: DualWriter) {
        self.inner = inner
        self.dualWriter = dualWriter
    }

    func insert(_ order: Order, events: [DomainEvent]) async throws {
        try await inner.insert(order, events: events)
        await dualWriter.order(order, previous: nil)
    }

    func update(_ order: Order, events: [DomainEvent]) async throws {
        let previous = try await inner.order(id: order.id)
        try await inner.update(order, events: events)
        await dualWriter.order(order, previous: previous)
    }

    func order(id: String) async throws -> Order? { try await inner.order(id: id) }
    func order(userID: String, idempotencyKey: String) async throws -> Order? { try await inner.order(userID: userID, idempotencyKey: idempotencyKey) }
    func orders(userID: String) async throws -> [Order] { try await inner.orders(userID: userID) }
    func orders(after id: String?, limit: Int) async throws -> [Order] { try await inner.orders(after: id, limit: limit) }
    func isReachable() async -> Bool { await inner.isReachable() }
}

/// The catalog service's store during the migration: product edits and stock the operators
/// set are also written to the monolith. Reservations are not: until the catalog moves at
/// 100 %, each side sells its own stock.
final class DualWritingCatalogStore: CatalogStore, OutboxForwarding {
    let inner: any CatalogStore
    let dualWriter: DualWriter
    var outboxStore: any OutboxStore { inner }

    init(_ inner: any CatalogStore, dualWriter: DualWriter) {
        self.inner = inner
        self.dualWriter = dualWriter
    }

    func update(_ product: Product, events: [DomainEvent]) async throws {
        let previous = try await inner.product(id: product.id)
        try await inner.update(product, events: events)
        if let saved = try await inner.product(id: product.id) { await dualWriter.product(saved, previous: previous) }
    }

    func setStock(productID: Int, to stock: Int?, adjustBy delta: Int?, events: @escaping @Sendable (Product) -> [DomainEvent]) async throws -> Product {
        let previous = try await inner.product(id: productID)
        let product = try await inner.setStock(productID: productID, to: stock, adjustBy: delta, events: events)
        await dualWriter.product(product, previous: previous)
        return product
    }

    func products(_ query: ProductQuery) async throws -> (products: [Product], total: Int) { try await inner.products(query) }
    func product(id: Int) async throws -> Product? { try await inner.product(id: id) }
    func insert(_ product: NewProduct, events: @escaping @Sendable (Product) -> [DomainEvent]) async throws -> Product {
        try await inner.insert(product, events: events)
    }
    func categories() async throws -> [Category] { try await inner.categories() }
    func insertCategory(name: String, slug: String, parentID: Int?) async throws -> Category {
        try await inner.insertCategory(name: name, slug: slug, parentID: parentID)
    }
    func reserve(orderID: String, items: [ReservationItem], events: [DomainEvent]) async throws -> ReservationOutcome {
        try await inner.reserve(orderID: orderID, items: items, events: events)
    }
    func release(orderID: String, events: @escaping @Sendable (Reservation) -> [DomainEvent]) async throws -> Reservation? {
        try await inner.release(orderID: orderID, events: events)
    }
    func products(after id: Int?, limit: Int) async throws -> [Product] { try await inner.products(after: id, limit: limit) }
    func isReachable() async -> Bool { await inner.isReachable() }
}

/// The payment service's store during the migration: every payment and refund it records is
/// also recorded in the monolith's `payments`, and a payment it does not know but the monolith
/// does (taken before the user was routed to the services) is imported when asked for — so
/// either side refunds what the other charged.
final class DualWritingPaymentStore: PaymentStore, OutboxForwarding {
    let inner: any PaymentStore
    let dualWriter: DualWriter
    var outboxStore: any OutboxStore { inner }

    init(_ inner: any PaymentStore, dualWriter: DualWriter) {
        self.inner = inner
        self.dualWriter = dualWriter
    }

    func insert(_ payment: Payment, events: [DomainEvent]) async throws {
        try await inner.insert(payment, events: events)
        await dualWriter.payment(payment)
    }

    func payment(id: String) async throws -> Payment? {
        if let payment = try await inner.payment(id: id) { return payment }
        guard let legacy = try await dualWriter.monolith.payments.payment(id: id) else { return nil }
        do { try await inner.insert(legacy, events: []) } catch StoreError.duplicate {}
        return try await inner.payment(id: id)
    }

    func payment(idempotencyKey: String) async throws -> Payment? { try await inner.payment(idempotencyKey: idempotencyKey) }
    func payments(orderID: String) async throws -> [Payment] { try await inner.payments(orderID: orderID) }

    func record(_ refund: Refund, updating payment: Payment, events: [DomainEvent]) async throws {
        try await inner.record(refund, updating: payment, events: events)
        await dualWriter.refund(refund, payment: payment)
    }

    func isReachable() async -> Bool { await inner.isReachable() }
}
