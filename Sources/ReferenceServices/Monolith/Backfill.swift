import Foundation

/// What a backfill copied: users and orders the services lacked (from the monolith), and
/// those the monolith lacked or had out of date (dual writes that were lost).
public struct BackfillReport: Codable, Sendable, Equatable {
    public var usersToServices = 0, ordersToServices = 0
    public var usersToMonolith = 0, ordersToMonolith = 0
}

/// The migration guide's backfill: walks both sides' users and orders in key order and copies
/// each row one side lacks to the other, with no events (nothing happened: the data moved).
/// Toward the monolith it also brings rows up to date: the services own what they wrote, so a
/// lost update (an order confirmed or cancelled) is written again.
enum Backfill {
    static let batch = 1_000

    static func run(services: ServiceStores, monolith: MonolithStores) async throws -> BackfillReport {
        var report = BackfillReport()
        report.usersToServices = try await copyUsers(from: monolith.users, to: services.users)
        report.usersToMonolith = try await copyUsers(from: services.users, to: monolith.users, updating: true)
        report.ordersToServices = try await copyOrders(from: monolith.orders, to: services.orders)
        report.ordersToMonolith = try await copyOrders(from: services.orders, to: monolith.orders, updating: true)
        return report
    }

    private static func copyUsers(from source: any UserStore, to target: any UserStore, updating: Bool = false) async throws -> Int {
        var copied = 0, after: String?
        while true {
            let page = try await source.users(after: after, limit: batch)
            for user in page {
                guard let existing = try await target.user(id: user.id) else {
                    do { try await target.insert(user, events: []); copied += 1 } catch StoreError.duplicate {}
                    continue
                }
                if updating, (existing.email, existing.firstName, existing.lastName, existing.phone, existing.role)
                    != (user.email, user.firstName, user.lastName, user.phone, user.role) {
                    try await target.update(user)
                    copied += 1
                }
            }
            guard page.count == batch, let last = page.last else { return copied }
            after = last.id
        }
    }

    private static func copyOrders(from source: any OrderStore, to target: any OrderStore, updating: Bool = false) async throws -> Int {
        var copied = 0, after: String?
        while true {
            let page = try await source.orders(after: after, limit: batch)
            for order in page {
                guard let existing = try await target.order(id: order.id) else {
                    do { try await target.insert(order, events: []); copied += 1 } catch StoreError.duplicate {}
                    continue
                }
                if updating, (existing.status, existing.paymentId, existing.cancellationReason) != (order.status, order.paymentId, order.cancellationReason) {
                    try await target.update(order, events: [])
                    copied += 1
                }
            }
            guard page.count == batch, let last = page.last else { return copied }
            after = last.id
        }
    }
}
