import Foundation

/// Runs blocking work (libpq calls, PBKDF2, Kafka metadata waits) on a dispatch queue, so it
/// never occupies a thread of Swift's cooperative pool while it waits or computes.
public enum BlockingWork {
    private static let queue = DispatchQueue(label: "tollgate.blocking", attributes: .concurrent)

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
}
