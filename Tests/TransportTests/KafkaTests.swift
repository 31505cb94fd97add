import Foundation
import TestSupport
import Testing
import Transport
import TransportKafka

@Suite(.serialized) struct KafkaTests {
    @Test func producedRecordIsReadByAnIndependentClientOverTCP() async throws {
        let broker = try await EmbeddedKafkaBroker.start(topics: ["order.created"])
        #expect(broker.bootstrapServers.hasPrefix("127.0.0.1:"))
        let producer = try KafkaProducer(bootstrapServers: broker.bootstrapServers)
        let report = try await producer.send(
            topic: "order.created", key: Array("order-1".utf8), value: Array(#"{"order_id":"order-1"}"#.utf8),
            headers: [("event_type", Array("order.created".utf8)), ("event_version", Array("1".utf8))])
        #expect(report.topic == "order.created")
        #expect(report.offset == 0, "the first record of a new topic")

        let consumer = try KafkaConsumer(bootstrapServers: broker.bootstrapServers, groupId: "test-\(UUID())")
        defer { consumer.close() }
        try consumer.assign([("order.created", 0)], from: .beginning)
        let message = try #require(try await BlockingWork.run { try consumer.first(within: 10) { $0.keyText == "order-1" } })
        #expect(message.valueText == #"{"order_id":"order-1"}"#)
        #expect(message.header("event_type") == "order.created")
        #expect(message.header("event_version") == "1")
        #expect(message.offset == report.offset)
        #expect(message.timestamp != nil)
    }

    /// A fetch waits 100 ms for records, not librdkafka's 500: the embedded broker answers an
    /// empty fetch only when the wait is over, so every event waited for took up to half a second.
    @Test func fetchesWaitATenthOfASecondUnlessToldOtherwise() throws {
        let consumer = try KafkaConsumer(bootstrapServers: "127.0.0.1:9", groupId: "test-\(UUID())")
        defer { consumer.close() }
        #expect(consumer.setting("fetch.wait.max.ms") == "100")
        #expect(consumer.setting("no.such.setting") == nil)
        let told = try KafkaConsumer(bootstrapServers: "127.0.0.1:9", groupId: "test-\(UUID())", settings: ["fetch.wait.max.ms": "500"])
        defer { told.close() }
        #expect(told.setting("fetch.wait.max.ms") == "500")
    }

    @Test func consumerGroupSubscriptionReceivesEveryRecord() async throws {
        let broker = try await EmbeddedKafkaBroker.start(topics: ["payment.completed"], partitions: 3)
        let producer = try KafkaProducer(bootstrapServers: broker.bootstrapServers)
        for i in 0..<30 {
            try await producer.send(topic: "payment.completed", key: Array("p-\(i)".utf8), value: Array("\(i)".utf8))
        }
        let consumer = try KafkaConsumer(bootstrapServers: broker.bootstrapServers, groupId: "notifications")
        defer { consumer.close() }
        try consumer.subscribe(["payment.completed"])
        // Joining a group takes a few seconds, more on a busy machine; the loop ends as soon as all arrive.
        let seen = try await BlockingWork.run {
            var seen = Set<String>()
            let deadline = Date().addingTimeInterval(60)
            while seen.count < 30, Date() < deadline {
                if let message = try consumer.poll(timeout: 0.5) { seen.insert(message.valueText) }
            }
            return seen
        }
        #expect(seen == Set((0..<30).map(String.init)))
    }

    @Test func deliveryFailsClearlyWhenTheBrokerStaysDown() async throws {
        let broker = try await EmbeddedKafkaBroker.start(topics: ["inventory.reserved"])
        let producer = try KafkaProducer(bootstrapServers: broker.bootstrapServers, settings: ["message.timeout.ms": "1500"])
        try await producer.send(topic: "inventory.reserved", key: nil, value: [1])
        try broker.takeDown()
        let error = await #expect(throws: KafkaError.self) { try await producer.send(topic: "inventory.reserved", key: nil, value: [2]) }
        #expect(error?.description.contains("delivery failed") == true)
        try broker.bringUp()
        // The client reconnects by itself; a send succeeds again once it has.
        var recovered = false
        for _ in 0..<10 where !recovered {
            recovered = (try? await producer.send(topic: "inventory.reserved", key: nil, value: [3])) != nil
        }
        #expect(recovered)
    }

    @Test func addedBrokerLatencyDelaysDeliveryAndFlushWaitsForIt() async throws {
        let broker = try await EmbeddedKafkaBroker.start(topics: ["order.shipped"])
        let producer = try KafkaProducer(bootstrapServers: broker.bootstrapServers)
        try await producer.send(topic: "order.shipped", key: nil, value: [0])
        try broker.setLatency(milliseconds: 300)
        let start = Date()
        try await producer.send(topic: "order.shipped", key: nil, value: [1])
        #expect(Date().timeIntervalSince(start) >= 0.3)
        // A record in flight: flush returns only once the broker has acknowledged it.
        let sending = Task { try await producer.send(topic: "order.shipped", key: nil, value: [2]) }
        #expect(await eventually(timeout: 20, interval: .milliseconds(5)) { producer.queuedCount > 0 }, "the record is queued")
        try producer.flush(timeout: 5)
        #expect(producer.queuedCount == 0, "flush waited for the acknowledgement")
        let report = try await sending.value
        #expect(report.offset >= 2)
    }

    @Test func badSettingIsAnError() {
        #expect(throws: KafkaError.self) { try KafkaProducer(bootstrapServers: "127.0.0.1:1", settings: ["no.such.setting": "1"]) }
    }
}
