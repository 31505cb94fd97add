import ContractCore
import Foundation
import LoadEngine
import Synchronization
import Transport

/// Events of the flow's topics read from Kafka by one consumer started before the first step:
/// every partition is assigned at its current end, so each event published from then on is
/// seen, and none from before. A thread of its own polls (librdkafka's calls block).
public final class KafkaEventSource: EventSource {
    private let consumer: KafkaConsumer
    private let received = Mutex<[String: [JSONValue]]>([:])
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
        thread.name = "tollgate.flow.events"
        thread.start()
    }

    private func poll() {
        while running.load(ordering: .relaxed) {
            guard let message = try? consumer.poll(timeout: 0.1) else { continue }
            let event = (try? JSONParser.parse(message.value)) ?? .string(message.valueText)
            received.withLock { $0[message.topic, default: []].append(event) }
        }
        consumer.close()
    }

    public func first(topic: String, within timeout: Double, where accepts: @Sendable (JSONValue) -> Bool) async -> (event: JSONValue?, seen: Int) {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while true {
            let events = received.withLock { $0[topic] ?? [] }
            if let match = events.first(where: accepts) { return (match, events.count) }
            if ContinuousClock.now >= deadline { return (nil, events.count) }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops reading and closes the consumer.
    public func close() { running.store(false, ordering: .relaxed) }
}

public struct KafkaEventSourceError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
