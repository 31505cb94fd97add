import Foundation

/// What a backfill copied: users and orders the services lacked (from the monolith), and
/// those the monolith lacked or had out of date (dual writes that were lost).
package struct BackfillReport: Codable, Sendable, Equatable {
    package var usersToServices = 0, ordersToServices = 0
    package var usersToMonolith = 0, ordersToMonolith = 0
}

/// The migration guide's backfill: walks both sides' users and orders in key order and copies
/// each row one side lacks to the other, with no events (nothing happened: the data moved).
/// A row both sides have but that differs is brought up to date in whichever direction holds
/// the newer write (`updated_at`): a dual write the monolith lost is written again, and a
/// change made on the legacy side (an order cancelled at 0 %, a profile renamed) is kept —
/// never overwritten by the services' older copy.
enum Backfill {
    static let batch = 1_000

    static func run(services: ServiceStores, monolith: ServiceStores) async throws -> BackfillReport {
        var report = BackfillReport()
        report.usersToServices = try await copyUsers(from: monolith.users, to: services.users)
        report.usersToMonolith = try await copyUsers(from: services.users, to: monolith.users)
        report.ordersToServices = try await copyOrders(from: monolith.orders, to: services.orders)
        report.ordersToMonolith = try await copyOrders(from: services.orders, to: monolith.orders)
        return report
    }

    private static func copyUsers(from source: any UserStore, to target: any UserStore) async throws -> Int {
        try await copy(page: source.users(after:limit:), id: \.id, existing: { try await target.user(id: $0.id) },
                       insert: { try await target.insert($0, events: []) }, update: { try await target.update($0) }) { old, new in
            new.updatedAt > old.updatedAt
                && (old.email, old.firstName, old.lastName, old.phone, old.role) != (new.email, new.firstName, new.lastName, new.phone, new.role)
        }
    }

    private static func copyOrders(from source: any OrderStore, to target: any OrderStore) async throws -> Int {
        try await copy(page: source.orders(after:limit:), id: \.id, existing: { try await target.order(id: $0.id) },
                       insert: { try await target.insert($0, events: []) }, update: { try await target.update($0, events: []) }) { old, new in
            new.updatedAt > old.updatedAt && (old.status, old.paymentId, old.cancellationReason) != (new.status, new.paymentId, new.cancellationReason)
        }
    }

    /// Walks the source page by page in key order: inserts each row the target lacks and
    /// rewrites the rows `outdated(target's, source's)` says the source has a newer write of.
    /// How many rows it wrote.
    private static func copy<Row>(page: (String?, Int) async throws -> [Row], id: (Row) -> String, existing: (Row) async throws -> Row?,
                                  insert: (Row) async throws -> Void, update: (Row) async throws -> Void,
                                  outdated: (Row, Row) -> Bool) async throws -> Int {
        var written = 0, after: String?
        while true {
            let rows = try await page(after, batch)
            for row in rows {
                if let old = try await existing(row) {
                    guard outdated(old, row) else { continue }
                    try await update(row)
                } else {
                    do { try await insert(row) } catch StoreError.duplicate { continue }
                }
                written += 1
            }
            guard rows.count == batch, let last = rows.last else { return written }
            after = id(last)
        }
    }
}
