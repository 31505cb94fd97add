import ContractCore
import Flows
import Foundation
import LoadEngine
import Steps
import Synchronization
import Testing
import TestSupport
import TransportKafka

/// The event source flows and load profiles read Kafka through: what it answers, and that
/// closing it leaves nothing behind.
@Suite struct KafkaEventSourceTests {
    static func orderID(_ id: String) throws -> [(path: PathExpression, value: JSONValue)] {
        [(try PathExpression("$.order_id"), .string(id))]
    }

    @Test func anEventPublishedAfterTheStartAnswersTheExpectationWaitingForIt() async throws {
        let broker = try await EmbeddedKafkaBroker.start(topics: ["order.created"], partitions: 2)
        let producer = try KafkaProducer(bootstrapServers: broker.bootstrapServers)
        try await producer.send(topic: "order.created", key: nil, value: Array(#"{"order_id": "before"}"#.utf8))
        let expected = try Self.orderID("o-2"), before = try Self.orderID("before")
        let found = try await KafkaEventSource.reading(brokers: broker.bootstrapServers, topics: ["order.created"]) { source in
            let source = try #require(source)
            async let waiting = source.first(topic: "order.created", matching: expected, within: 30)
            for id in ["o-1", "o-2"] { try await producer.send(topic: "order.created", key: Array(id.utf8), value: Array(#"{"order_id": "\#(id)"}"#.utf8), partition: 1) }
            let missing = await source.first(topic: "order.created", matching: before, within: 0.3)
            #expect(missing.event == nil, "an event from before the start is not seen")
            return await waiting
        }
        #expect(found.event == .object(JSONObject([("order_id", .string("o-2"))])) && found.seen == 2, "\(found)")
    }

    @Test func closingAnswersEveryWaiterAndEveryLaterExpectationAtOnce() async throws {
        let broker = try await EmbeddedKafkaBroker.start(topics: ["payment.failed"])
        let source = try #require(try await KafkaEventSource.start(brokers: broker.bootstrapServers, topics: ["payment.failed"]))
        let expected = try Self.orderID("never")
        let started = Date()
        let waiter = Task { await source.first(topic: "payment.failed", matching: expected, within: 120) }
        #expect(await eventually(timeout: 10) { source.waitingCount == 1 }, "the expectation is registered before the source closes")
        await source.close()
        let answered = await waiter.value
        #expect(answered.event == nil && Date().timeIntervalSince(started) < 10, "the waiter was answered when the source closed")
        let later = Date()
        let afterwards = await source.first(topic: "payment.failed", matching: expected, within: 120)
        #expect(afterwards.event == nil && Date().timeIntervalSince(later) < 1, "an expectation after close is answered at once")
    }

    @Test func readingClosesTheSourceAlsoWhenItsBodyThrows() async throws {
        struct Broken: Error {}
        let broker = try await EmbeddedKafkaBroker.start(topics: ["order.cancelled"])
        let kept = Mutex<KafkaEventSource?>(nil)
        await #expect(throws: Broken.self) {
            try await KafkaEventSource.reading(brokers: broker.bootstrapServers, topics: ["order.cancelled"]) { source in
                kept.withLock { $0 = source }
                throw Broken()
            }
        }
        let source = try #require(kept.withLock { $0 })
        let asked = Date()
        let answer = await source.first(topic: "order.cancelled", matching: try Self.orderID("x"), within: 120)
        #expect(answer.event == nil && Date().timeIntervalSince(asked) < 1, "the source was closed on the way out")
    }
}
