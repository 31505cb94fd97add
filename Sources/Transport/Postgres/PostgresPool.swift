import Foundation

/// A bounded pool of connections for Swift concurrency. Each call borrows a connection,
/// runs the (blocking) libpq work on a dispatch thread, and returns the connection.
public actor PostgresPool {
    private let url: String
    private let maximum: Int
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters: [CheckedContinuation<PostgresConnection, any Error>] = []
    private static let queue = DispatchQueue(label: "tollgate.postgres", attributes: .concurrent)

    public init(url: String, maximumConnections: Int = 8) {
        self.url = url
        self.maximum = max(1, maximumConnections)
    }

    /// Runs `body` with a connection of its own.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let connection = try await borrow()
        let box = UncheckedBox(connection)
        do {
            let value: T = try await withCheckedThrowingContinuation { continuation in
                PostgresPool.queue.async { continuation.resume(with: Result { try body(box.value) }) }
            }
            giveBack(connection)
            return value
        } catch {
            giveBack(connection)
            throw error
        }
    }

    /// Convenience: one query on a pooled connection.
    public func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws -> [PostgresRow] {
        try await withConnection { try $0.query(sql, parameters) }
    }

    private func borrow() async throws -> PostgresConnection {
        if let connection = idle.popLast() { return connection }
        if open < maximum {
            open += 1
            do {
                let url = self.url
                return try await withCheckedThrowingContinuation { continuation in
                    PostgresPool.queue.async { continuation.resume(with: Result { UncheckedBox(try PostgresConnection(url: url)) }) }
                }.value
            } catch {
                open -= 1
                throw error
            }
        }
        return try await withCheckedThrowingContinuation { waiters.append($0) }
    }

    private func giveBack(_ connection: PostgresConnection) {
        guard connection.isHealthy else {
            open -= 1
            if !waiters.isEmpty {
                // Let a waiter open a fresh connection in place of the broken one.
                let waiter = waiters.removeFirst()
                open += 1
                let url = self.url
                PostgresPool.queue.async { waiter.resume(with: Result { try PostgresConnection(url: url) }) }
            }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }
}

/// Moves a non-Sendable connection across a boundary the pool already serialises.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
