import Transport
import Foundation

/// A bounded pool of connections for Swift concurrency. Each call borrows a connection,
/// runs the (blocking) libpq work off the cooperative pool, and returns the connection.
///
/// A slot is held by every open connection and every connect in progress. A failed connect
/// frees its slot and hands it to the next waiter; a broken connection is dropped on return
/// and its slot handed on; a caller that waits longer than `acquireTimeout` gets
/// `PostgresError.poolTimeout` instead of waiting for ever.
public actor PostgresPool {
    private let url: String
    private let maximum: Int
    private let acquireTimeout: Double
    private var idle: [PostgresConnection] = []
    private var slotsInUse = 0
    private var waiters: [Waiter] = []

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Handoff, Never>
        let timer: Task<Void, Never>
    }

    /// What a waiting caller is given.
    private enum Handoff: Sendable {
        case connection(BorrowedConnection)
        /// A free slot: the waiter opens a connection itself.
        case slot
        case timedOut
    }

    private var nextWaiterID: UInt64 = 0

    /// - Parameter acquireTimeout: seconds a caller may wait for a free connection.
    public init(url: String, maximumConnections: Int = 8, acquireTimeout: Double = 5) {
        self.url = url
        self.maximum = max(1, maximumConnections)
        self.acquireTimeout = acquireTimeout
    }

    /// Runs `body` with a connection of its own.
    @discardableResult
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let borrowed = try await borrow()
        let result = await Result(catching: { try await BlockingWork.run { try body(borrowed.connection) } })
        giveBack(borrowed.connection)
        return try result.get()
    }

    /// Convenience: one query on a pooled connection.
    public func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws -> [PostgresRow] {
        try await withConnection { try $0.query(sql, parameters) }
    }

    /// Connections open or being opened (for tests and diagnostics).
    public var slotsTaken: Int { slotsInUse }

    private func borrow() async throws -> BorrowedConnection {
        while let connection = idle.popLast() {
            if connection.isAliveWhileIdle { return BorrowedConnection(connection) }
            // The server closed it while it waited (a restart): open a new one in its slot.
            return try await connectInSlot()
        }
        if slotsInUse < maximum {
            slotsInUse += 1
            return try await connectInSlot()
        }
        switch await wait() {
        case .connection(let borrowed): return borrowed
        case .slot: return try await connectInSlot()
        case .timedOut:
            throw PostgresError.poolTimeout(seconds: acquireTimeout, connections: maximum)
        }
    }

    /// Opens a connection in a slot already counted; on failure the slot goes to the next waiter.
    private func connectInSlot() async throws -> BorrowedConnection {
        let url = self.url
        do {
            return try await BlockingWork.run { BorrowedConnection(try PostgresConnection(url: url)) }
        } catch {
            releaseSlot()
            throw error
        }
    }

    private func wait() async -> Handoff {
        nextWaiterID += 1
        let id = nextWaiterID
        let timeout = acquireTimeout
        return await withCheckedContinuation { continuation in
            let timer = Task { [weak self] in
                try? await Task.sleep(for: .seconds(timeout))
                await self?.expire(id)
            }
            waiters.append(Waiter(id: id, continuation: continuation, timer: timer))
        }
    }

    private func expire(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: .timedOut)
    }

    /// A slot became free: give it to the first waiter, else keep it free.
    private func releaseSlot() {
        if waiters.isEmpty {
            slotsInUse -= 1
        } else {
            let waiter = waiters.removeFirst()
            waiter.timer.cancel()
            waiter.continuation.resume(returning: .slot)
        }
    }

    private func giveBack(_ connection: PostgresConnection) {
        guard connection.isHealthy else {
            releaseSlot()
            return
        }
        if waiters.isEmpty {
            idle.append(connection)
        } else {
            let waiter = waiters.removeFirst()
            waiter.timer.cancel()
            waiter.continuation.resume(returning: .connection(BorrowedConnection(connection)))
        }
    }
}

/// A connection on its way to the one caller that borrows it. A connection is used by one
/// borrower at a time and the pool hands it over rather than sharing it, which makes crossing
/// a concurrency boundary safe.
struct BorrowedConnection: @unchecked Sendable {
    let connection: PostgresConnection
    init(_ connection: PostgresConnection) { self.connection = connection }
}

extension Result where Failure == any Error {
    /// Captures the outcome of async work.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
