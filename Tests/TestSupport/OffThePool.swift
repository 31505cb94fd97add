import Dispatch

/// Runs blocking test code (a child process, a socket read, a Kafka poll) on a thread of its
/// own, never on the cooperative pool the in-process services under test answer on. A serial
/// queue per call runs on libdispatch's overcommitting threads: shared or global concurrent
/// queues are only about as wide as the machine has cores, and blocked jobs would queue there.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue(label: "tollgate.tests.blocking").async { continuation.resume(with: Result { try body() }) }
    }
}

/// `offThePool` for code that cannot fail.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue(label: "tollgate.tests.blocking").async { continuation.resume(returning: body()) }
    }
}

