import Foundation

/// What a backfill copied: users and orders the services lacked (from the monolith), and
/// those the monolith lacked (dual writes that were lost).
public struct BackfillReport: Codable, Sendable, Equatable {
    public var usersToServices = 0, ordersToServices = 0
    public var usersToMonolith = 0, ordersToMonolith = 0
}

/// The migration guide's backfill: walks both sides' users and orders in key order and copies
/// each row one side lacks to the other, with no events (nothing happened: the data moved).
enum Backfill {
    static let batch = 1_000

    static func run(services: ServiceStores, monolith: MonolithStores) async throws -> BackfillReport {
        var report = BackfillReport()
        report.usersToServices = try await copyUsers(from: monolith.users, to: services.users)
        report.usersToMonolith = try await copyUsers(from: services.users, to: monolith.users)
        report.ordersToServices = try await copyOrders(from: monolith.orders, to: services.orders)
        report.ordersToMonolith = try await copyOrders(from: services.orders, to: monolith.orders)
        return report
    }

    private static func copyUsers(from source: any UserStore, to target: any UserStore) async throws -> Int {
        var copied = 0, after: String?
        while true {
            let page = try await source.users(after: after, limit: batch)
            for user in page where try await target.user(id: user.id) == nil {
                do { try await target.insert(user, events: []); copied += 1 } catch StoreError.duplicate {}
            }
            guard page.count == batch, let last = page.last else { return copied }
            after = last.id
        }
    }

    private static func copyOrders(from source: any OrderStore, to target: any OrderStore) async throws -> Int {
        var copied = 0, after: String?
        while true {
            let page = try await source.orders(after: after, limit: batch)
            for order in page where try await target.order(id: order.id) == nil {
                do { try await target.insert(order, events: []); copied += 1 } catch StoreError.duplicate {}
            }
            guard page.count == batch, let last = page.last else { return copied }
            after = last.id
        }
    }
}
