import Transport
import Foundation

/// Whether a librdkafka client (a producer, the embedded broker) is still there. Calls into it
/// are counted (the lock is held only to count), and whoever frees it does so once none is
/// under way and no new one may start; whoever waits for that is told.
final class RetiringClient: @unchecked Sendable {
    // Safe: every stored property is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var retiring = false
    private var retired = false
    private var callsUnderWay = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// `body` with the client alive; an error once it is being freed.
    func using<T>(_ body: () throws -> T) throws -> T {
        try condition.withLock {
            guard !retiring else { throw KafkaError(message: "the producer is closed") }
            callsUnderWay += 1
        }
        defer {
            condition.withLock {
                callsUnderWay -= 1
                condition.broadcast()
            }
        }
        return try body()
    }

    /// Lets calls under way finish, frees the client (`free`, once), then wakes whoever waits in
    /// `retired`. Blocks: call it from a thread of its own (a poll thread) or a deinit.
    func retire(_ free: () -> Void) {
        let first = condition.withLock {
            defer { retiring = true }
            while callsUnderWay > 0 { condition.wait() }
            return !retiring
        }
        guard first else { return }
        free()
        let waiting = condition.withLock {
            retired = true
            defer { waiters = [] }
            return waiters
        }
        for waiter in waiting { waiter.resume() }
    }

    func retired() async {
        await withCheckedContinuation { continuation in
            let done = condition.withLock {
                if !retired { waiters.append(continuation) }
                return retired
            }
            if done { continuation.resume() }
        }
    }
}
