package import ContractCore
import Foundation
import HTTPWire
import Steps
import Synchronization
import Transport
import TransportKafka

/// Events of the given topics read from Kafka by one consumer started before the first step:
/// every partition is assigned at its current end, so each event published from then on is
/// seen, and none from before. A thread of its own polls (librdkafka's calls block), feeds the
/// events to an `EventBuffer` (indexed, the last minute kept) and answers waiting expectations.
/// `close` ends the thread and answers every waiter; use `reading` to have it closed for you.
package final class KafkaEventSource: EventSource {
    private typealias Callback = @Sendable (JSONValue?, Int) -> Void

    private struct State {
        var buffer = EventBuffer()
        var callbacks: [Int: Callback] = [:]
        var next = 0
        /// The poller has ended: an expectation from now on is answered at once.
        var closed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var lastError: String?
    }

    private let consumer: KafkaConsumer
    private let state = Mutex(State())
    private let running = Atomic(true)

    /// Connects to `brokers` and starts reading `topics`; throws when a topic does not exist.
    package init(brokers: String, topics: [String]) throws {
        consumer = try KafkaConsumer(bootstrapServers: brokers, groupId: "tollgate-flow-\(UUID().uuidString)")
        var positions: [(topic: String, partition: Int32, start: KafkaConsumer.StartOffset)] = []
        do {
            for topic in topics {
                let count = try consumer.partitionCount(topic: topic)
                guard count > 0 else { throw KafkaEventSourceError(message: "topic '\(topic)' does not exist on \(brokers)") }
                for partition in 0..<Int32(count) {
                    positions.append((topic, partition, .offset(try consumer.endOffset(topic: topic, partition: partition))))
                }
            }
            try consumer.assign(positions)
        } catch {
            consumer.close()
            throw error
        }
        let thread = Thread { [self] in poll() }
        thread.name = "tollgate.events"
        thread.start()
    }

    private func poll() {
        var lastSweep = MonotonicClock.now()
        while running.load(ordering: .relaxed) {
            let message: KafkaMessage?
            do { message = try consumer.poll(timeout: 0.05) } catch {
                state.withLock { $0.lastError = "\(error)" }
                message = nil
            }
            if let message {
                let event = (try? JSONParser.parse(message.value)) ?? .string(message.valueText)
                let now = MonotonicClock.now()
                let answered = state.withLock { state -> [(Callback, Int)] in
                    let satisfied = state.buffer.add(event, topic: message.topic, at: now)
                    let seen = state.buffer.seen(message.topic)
                    return satisfied.compactMap { waiter in state.callbacks.removeValue(forKey: waiter.id).map { ($0, seen) } }
                }
                for (callback, seen) in answered { callback(event, seen) }
            }
            let now = MonotonicClock.now()
            if now - lastSweep >= 50_000_000 {
                lastSweep = now
                let expired = state.withLock { state -> [(Callback, Int)] in
                    state.buffer.expire(now: now).compactMap { waiter in
                        state.callbacks.removeValue(forKey: waiter.id).map { ($0, state.buffer.seen(waiter.topic)) }
                    }
                }
                for (callback, seen) in expired { callback(nil, seen) }
            }
        }
        consumer.close()
        // Whoever still waits learns that no event will come, and so does whoever asks later.
        let (left, closers) = state.withLock { state in
            state.closed = true
            defer { state.callbacks = [:]; state.closeWaiters = [] }
            return (Array(state.callbacks.values), state.closeWaiters)
        }
        for callback in left { callback(nil, 0) }
        for closer in closers { closer.resume() }
    }

    package func expect(topic: String, matching expected: [(path: PathExpression, value: JSONValue)], within timeout: Double,
                       then: @escaping @Sendable (JSONValue?, Int) -> Void) {
        let deadline = MonotonicClock.now() + UInt64(max(0, timeout) * 1e9)
        let found = state.withLock { state -> (JSONValue?, Int)? in
            let id = state.next
            state.next += 1
            let waiter = EventBuffer.Waiter(id: id, topic: topic, expected: expected, deadline: deadline)
            if let event = state.buffer.match(waiter) { return (event, state.buffer.seen(topic)) }
            if state.closed { return (nil, state.buffer.seen(topic)) }
            state.callbacks[id] = then
            return nil
        }
        if let found { then(found.0, found.1) }
    }

    /// A source for `topics` started off the cooperative pool (librdkafka's metadata calls
    /// block); nil when there are no topics to read.
    package static func start(brokers: String, topics: [String]) async throws -> KafkaEventSource? {
        guard !topics.isEmpty else { return nil }
        return try await BlockingWork.run { try KafkaEventSource(brokers: brokers, topics: topics) }
    }

    /// How many expectations wait for their event now.
    package var waitingCount: Int { state.withLock { $0.callbacks.count } }

    /// The consumer's last error while polling (nil when none): said with an expectation that
    /// found no event, since a broken consumer and a missing event look alike from outside.
    package var trouble: String? { state.withLock { $0.lastError } }

    /// Stops reading, closes the consumer and answers every waiter; returns once the polling
    /// thread has ended.
    package func close() async {
        running.store(false, ordering: .relaxed)
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if !state.closed { state.closeWaiters.append(continuation) }
                return state.closed
            }
            if done { continuation.resume() }
        }
    }

    /// Runs `body` with a source for `topics` (nil without brokers or topics) and closes it
    /// before returning, also when `body` throws.
    package static func reading<T>(brokers: String?, topics: [String], _ body: (KafkaEventSource?) async throws -> T) async throws -> T {
        var source: KafkaEventSource?
        if let brokers { source = try await start(brokers: brokers, topics: topics) }
        do {
            let result = try await body(source)
            await source?.close()
            return result
        } catch {
            await source?.close()
            throw error
        }
    }
}

package struct KafkaEventSourceError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}
