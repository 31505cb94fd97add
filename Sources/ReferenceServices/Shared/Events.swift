package import Foundation
import Synchronization
import Transport
package import TransportKafka

/// A domain event as the migration guide defines it; the envelope written to Kafka is
/// `{event_id, event_type, event_timestamp, correlation_id, aggregate_id, payload}`.
package struct DomainEvent: Sendable {
    package var eventID: String
    /// Also the topic: `order.created`, `payment.completed`, …
    package var type: String
    package var aggregateID: String
    package var correlationID: String
    package var payload: [String: JSONField]
    package var timestamp = Date()
    package var version = 1

    package init(id: String = DomainEvent.newID(), type: String, aggregateID: String, correlationID: String, payload: [String: JSONField]) {
        self.eventID = id
        self.type = type
        self.aggregateID = aggregateID
        self.correlationID = correlationID
        self.payload = payload
    }

    /// A fresh event id (a lowercase UUID).
    package static func newID() -> String { UUID().uuidString.lowercased() }

    /// The Kafka record value.
    package func envelope() throws -> [UInt8] {
        struct Envelope: Encodable {
            let eventId, eventType, eventTimestamp, correlationId, aggregateId: String
            let payload: [String: JSONField]
        }
        return try JSON.encode(Envelope(eventId: eventID, eventType: type, eventTimestamp: JSON.timestamp(timestamp),
                                        correlationId: correlationID, aggregateId: aggregateID, payload: payload))
    }
}

/// Where services send their events.
package protocol EventPublisher: Sendable {
    func publish(_ event: DomainEvent) async throws
    /// Whether events can be delivered right now (for `/ready`).
    func isReachable() async -> Bool
    /// The recent events, when they are kept for `/_pact/messages`.
    var recorder: EventRecorder? { get }
}

extension EventPublisher {
    package var recorder: EventRecorder? { nil }
}

/// Keeps the last events published, so a provider can answer the Pact way of verifying
/// messages (describe a message, get it back).
package final class EventRecorder: Sendable {
    private let events = Mutex<[DomainEvent]>([])

    package init() {}

    func record(_ event: DomainEvent) {
        events.withLock { events in
            events.append(event)
            if events.count > 1000 { events.removeFirst(events.count - 1000) }
        }
    }

    /// The latest event for `aggregate`, preferring one whose type the description names.
    func latest(aggregate: String, describedBy description: String) -> DomainEvent? {
        let candidates = events.withLock { $0.filter { $0.aggregateID == aggregate } }
        return candidates.last { description.contains($0.type) } ?? candidates.last
    }
}

/// Records every event, then hands it on.
package struct RecordingEventPublisher: EventPublisher {
    let inner: any EventPublisher
    let store = EventRecorder()

    package init(inner: any EventPublisher) { self.inner = inner }

    package func publish(_ event: DomainEvent) async throws {
        store.record(event)
        try await inner.publish(event)
    }

    package func isReachable() async -> Bool { await inner.isReachable() }
    package var recorder: EventRecorder? { store }
}

/// Publishes to Kafka: topic = event type, key = aggregate id, headers event_type,
/// event_version, correlation_id. Waits for the broker's acknowledgement.
package final class KafkaEventPublisher: EventPublisher {
    private let producer: KafkaProducer

    package init(producer: KafkaProducer) { self.producer = producer }

    /// A producer for the services' events; `topics` are looked up at once (see `KafkaProducer.prepare`).
    package convenience init(bootstrapServers: String, topics: [String] = []) throws {
        // A delivery not acknowledged within 2 s fails, and the outbox relay tries again later.
        let producer = try KafkaProducer(bootstrapServers: bootstrapServers, settings: ["message.timeout.ms": "2000", "acks": "all"])
        // Looking the topics up waits for the broker: not on the caller's thread.
        Task { await BlockingWork.run { producer.prepare(topics: topics) } }
        self.init(producer: producer)
    }

    /// Closes the producer (see `KafkaProducer.close`).
    package func close() async { await producer.close() }

    package func publish(_ event: DomainEvent) async throws {
        try await producer.send(
            topic: event.type, key: Array(event.aggregateID.utf8), value: try event.envelope(),
            headers: [("event_type", Array(event.type.utf8)), ("event_version", Array(String(event.version).utf8)),
                      ("correlation_id", Array(event.correlationID.utf8))])
    }

    package func isReachable() async -> Bool {
        let producer = self.producer
        return await BlockingWork.run { producer.isBrokerReachable(timeout: 1) }
    }
}
