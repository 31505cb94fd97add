import Foundation
import Logging
import Synchronization
import Transport

/// A domain event as the migration guide defines it; the envelope written to Kafka is
/// `{event_id, event_type, event_timestamp, correlation_id, aggregate_id, payload}`.
public struct DomainEvent: Sendable {
    public var eventID = UUID().uuidString.lowercased()
    /// Also the topic: `order.created`, `payment.completed`, …
    public var type: String
    public var aggregateID: String
    public var correlationID: String
    public var payload: [String: JSONField]
    public var timestamp = Date()
    public var version = 1

    public init(type: String, aggregateID: String, correlationID: String, payload: [String: JSONField]) {
        self.type = type
        self.aggregateID = aggregateID
        self.correlationID = correlationID
        self.payload = payload
    }

    /// The Kafka record value.
    public func envelope() throws -> [UInt8] {
        struct Envelope: Encodable {
            let eventId, eventType, eventTimestamp, correlationId, aggregateId: String
            let payload: [String: JSONField]
        }
        return try JSON.encode(Envelope(eventId: eventID, eventType: type, eventTimestamp: JSON.timestamp(timestamp),
                                        correlationId: correlationID, aggregateId: aggregateID, payload: payload))
    }
}

/// Where services send their events.
public protocol EventPublisher: Sendable {
    func publish(_ event: DomainEvent) async throws
    /// Whether events can be delivered right now (for `/ready`).
    func isReachable() async -> Bool
    /// The recent events, when they are kept for `/_pact/messages`.
    var recorder: EventRecorder? { get }
}

extension EventPublisher {
    public var recorder: EventRecorder? { nil }
}

/// Keeps the last events published, so a provider can answer the Pact way of verifying
/// messages (describe a message, get it back).
public final class EventRecorder: Sendable {
    private let events = Mutex<[DomainEvent]>([])

    public init() {}

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
public struct RecordingEventPublisher: EventPublisher {
    let inner: any EventPublisher
    let store = EventRecorder()

    public init(inner: any EventPublisher) { self.inner = inner }

    public func publish(_ event: DomainEvent) async throws {
        store.record(event)
        try await inner.publish(event)
    }

    public func isReachable() async -> Bool { await inner.isReachable() }
    public var recorder: EventRecorder? { store }
}

/// Publishes to Kafka: topic = event type, key = aggregate id, headers event_type,
/// event_version, correlation_id. Waits for the broker's acknowledgement.
public final class KafkaEventPublisher: EventPublisher {
    private let producer: KafkaProducer

    public init(producer: KafkaProducer) { self.producer = producer }

    /// A producer for the services' events; `topics` are looked up at once (see `KafkaProducer.prepare`).
    public convenience init(bootstrapServers: String, topics: [String] = []) throws {
        let producer = try KafkaProducer(bootstrapServers: bootstrapServers, settings: ["message.timeout.ms": "10000", "acks": "all"])
        producer.prepare(topics: topics)
        self.init(producer: producer)
    }

    public func publish(_ event: DomainEvent) async throws {
        try await producer.send(
            topic: event.type, key: Array(event.aggregateID.utf8), value: try event.envelope(),
            headers: [("event_type", Array(event.type.utf8)), ("event_version", Array(String(event.version).utf8)),
                      ("correlation_id", Array(event.correlationID.utf8))])
    }

    public func isReachable() async -> Bool {
        let producer = self.producer
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: producer.isBrokerReachable(timeout: 1)) }
        }
    }
}

extension EventPublisher {
    /// Publishes, logging instead of failing the request when the broker is away: the state
    /// change already happened and `/ready` reports the broker. Waits at most `patience`
    /// seconds for the broker's acknowledgement; a slower delivery goes on in the background.
    func emit(_ type: String, aggregate: String, correlation: String, _ payload: [String: JSONField], logger: Logger?,
              patience: Double = 2) async {
        let event = DomainEvent(type: type, aggregateID: aggregate, correlationID: correlation, payload: payload)
        let delivery = Task {
            do { try await publish(event) } catch {
                logger?.error("event \(type) for \(aggregate) not delivered: \(error)")
            }
        }
        let settled = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let once = ResumeOnce(continuation)
            Task { await delivery.value; once.resume(true) }
            Task { try? await Task.sleep(for: .seconds(patience)); once.resume(false) }
        }
        if !settled { logger?.warning("event \(type) for \(aggregate) not acknowledged within \(patience) s; still queued") }
    }
}

/// Resumes a continuation once, whichever of several racers comes first.
final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, Never>?>

    init(_ continuation: CheckedContinuation<T, Never>) { self.continuation = Mutex(continuation) }

    func resume(_ value: T) {
        let pending = continuation.withLock { pending in
            defer { pending = nil }
            return pending
        }
        pending?.resume(returning: value)
    }
}
