import Foundation

/// Runs blocking work (libpq calls, PBKDF2, Kafka metadata waits, a whole table comparison) off
/// Swift's cooperative pool, so it never occupies one of its threads while it waits or computes.
///
/// Each job gets a serial queue of its own: those run on libdispatch's overcommitting threads,
/// which grow when jobs block. A shared concurrent queue would not: it is about as wide as the
/// machine has cores, so one long comparison could hold every database query behind it.
///
/// Work that only computes (PBKDF2) goes to `compute` instead: more threads than cores would
/// not finish it sooner, only take the cores from everything else.
public enum BlockingWork {
    private static var queue: DispatchQueue { DispatchQueue(label: "tollgate.blocking") }
    /// As wide as the machine has cores.
    private static let computeQueue = DispatchQueue(label: "tollgate.compute", attributes: .concurrent)

    /// The result of `body`, computed off the cooperative pool.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// The result of `body`, computed off the cooperative pool (for work that cannot fail).
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }

    /// The result of CPU-bound `body` (no waiting in it), computed off the cooperative pool on
    /// at most about as many threads as there are cores.
    public static func compute<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            computeQueue.async { continuation.resume(returning: body()) }
        }
    }
}
