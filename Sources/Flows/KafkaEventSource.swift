import ContractCore
import Foundation
import LoadEngine
import Synchronization
import Transport

/// Events of the given topics read from Kafka by one consumer started before the first step:
/// every partition is assigned at its current end, so each event published from then on is
/// seen, and none from before. A thread of its own polls (librdkafka's calls block), feeds the
/// events to an `EventBuffer` (indexed, the last minute kept) and answers waiting expectations.
public final class KafkaEventSource: EventSource {
    private typealias Callback = @Sendable (JSONValue?, Int) -> Void

    private let consumer: KafkaConsumer
    private let state = Mutex<(buffer: EventBuffer, callbacks: [Int: Callback], next: Int)>((EventBuffer(), [:], 0))
    private let running = Atomic(true)

    /// Connects to `brokers` and starts reading `topics`; throws when a topic does not exist.
    public init(brokers: String, topics: [String]) throws {
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
            if let message = try? consumer.poll(timeout: 0.05) {
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
        // Whoever still waits learns that no event will come.
        let left = state.withLock { state -> [Callback] in
            defer { state.callbacks = [:] }
            return Array(state.callbacks.values)
        }
        for callback in left { callback(nil, 0) }
    }

    public func expect(topic: String, matching expected: [(path: PathExpression, value: JSONValue)], within timeout: Double,
                       then: @escaping @Sendable (JSONValue?, Int) -> Void) {
        let deadline = MonotonicClock.now() + UInt64(max(0, timeout) * 1e9)
        let found = state.withLock { state -> (JSONValue?, Int)? in
            let id = state.next
            state.next += 1
            let waiter = EventBuffer.Waiter(id: id, topic: topic, expected: expected, deadline: deadline)
            if let event = state.buffer.match(waiter) { return (event, state.buffer.seen(topic)) }
            state.callbacks[id] = then
            return nil
        }
        if let found { then(found.0, found.1) }
    }

    /// A source for `topics` started off the cooperative pool (librdkafka's metadata calls
    /// block); nil when there are no topics to read.
    public static func start(brokers: String, topics: [String]) async throws -> KafkaEventSource? {
        guard !topics.isEmpty else { return nil }
        return try await BlockingWork.run { try KafkaEventSource(brokers: brokers, topics: topics) }
    }

    /// Stops reading and closes the consumer.
    public func close() { running.store(false, ordering: .relaxed) }
}

public struct KafkaEventSourceError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
