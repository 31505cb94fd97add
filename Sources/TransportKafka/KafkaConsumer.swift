import Transport
import CRdKafka
import Foundation

/// A librdkafka consumer: join a group with `subscribe`, or read partitions directly with `assign`.
/// Its calls block (up to their timeout): call them from a thread of their own or a dispatch
/// queue, not from the cooperative pool.
public final class KafkaConsumer: Sendable {
    private let client: KafkaClientHandle
    private let closed = LockedFlag(false)
    private var handle: OpaquePointer { client.raw }

    /// Where to start reading an assigned partition.
    public enum StartOffset: Sendable {
        case beginning, end
        case offset(Int64)

        var raw: Int64 {
            switch self {
            case .beginning: return Int64(RD_KAFKA_OFFSET_BEGINNING)
            case .end: return Int64(RD_KAFKA_OFFSET_END)
            case .offset(let n): return n
            }
        }
    }

    /// - Parameters:
    ///   - groupId: the consumer group; reading starts at the earliest offset when the group has none.
    ///
    /// A fetch waits at most 100 ms for records (librdkafka's default is 500 ms). A Kafka broker
    /// answers a fetch as soon as a record arrives, so this only makes idle fetches more frequent;
    /// librdkafka's mock cluster (the embedded broker) answers an empty fetch only when the wait
    /// is over, and each event a flow or a verification waited for took half a second.
    public init(bootstrapServers: String, groupId: String, settings: [String: String] = [:]) throws {
        var all = ["bootstrap.servers": bootstrapServers, "group.id": groupId, "auto.offset.reset": "earliest",
                   "enable.partition.eof": "false", "topic.metadata.refresh.interval.ms": "1000", "fetch.wait.max.ms": "100"]
        all.merge(settings) { _, new in new }
        client = KafkaClientHandle(raw: try makeClient(RD_KAFKA_CONSUMER, try makeConfiguration(all)))
        rd_kafka_poll_set_consumer(client.raw)
    }

    deinit { close() }

    /// Joins the group for `topics`; partitions are assigned by the group coordinator.
    public func subscribe(_ topics: [String]) throws {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let error = rd_kafka_subscribe(handle, list)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "subscribe to \(topics.joined(separator: ", "))") }
    }

    /// Reads the given partitions directly, without group coordination.
    public func assign(_ partitions: [(topic: String, partition: Int32)], from start: StartOffset = .beginning) throws {
        try assign(partitions.map { ($0.topic, $0.partition, start) })
    }

    /// Reads the given partitions directly, each from its own offset.
    public func assign(_ positions: [(topic: String, partition: Int32, start: StartOffset)]) throws {
        let list = rd_kafka_topic_partition_list_new(Int32(positions.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for p in positions {
            let entry = rd_kafka_topic_partition_list_add(list, p.topic, p.partition)
            entry?.pointee.offset = p.start.raw
        }
        let error = rd_kafka_assign(handle, list)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "assign") }
    }

    /// How many partitions `topic` has, from the broker's metadata (0 when it does not exist).
    public func partitionCount(topic: String, timeout: Double = 5) throws -> Int {
        let topicHandle = rd_kafka_topic_new(handle, topic, nil)
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle, 0, topicHandle, &metadata, Int32(timeout * 1000))
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(error, context: "metadata for '\(topic)'") }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0 else { return 0 }
        let entry = metadata.pointee.topics[0]
        return entry.err == RD_KAFKA_RESP_ERR_NO_ERROR ? Int(entry.partition_cnt) : 0
    }

    /// The offset the next record of a partition will get (the high watermark), from the broker.
    public func endOffset(topic: String, partition: Int32, timeout: Double = 5) throws -> Int64 {
        var low: Int64 = 0, high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, Int32(timeout * 1000))
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "offsets of '\(topic)' [\(partition)]") }
        return high
    }

    /// The next record, or nil when none arrives within `timeout` seconds.
    public func poll(timeout: Double) throws -> KafkaMessage? {
        guard let raw = rd_kafka_consumer_poll(handle, Int32(timeout * 1000)) else { return nil }
        defer { rd_kafka_message_destroy(raw) }
        let error = raw.pointee.err
        if error == RD_KAFKA_RESP_ERR__PARTITION_EOF { return nil }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            // Topics that do not exist yet are not fatal: the producer side may create them.
            if error == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || error == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC { return nil }
            throw KafkaError(error, context: "consume")
        }
        return KafkaMessage(UnsafePointer(raw))
    }

    /// Reads until `predicate` accepts a record or `timeout` seconds pass.
    public func first(within timeout: Double, where predicate: (KafkaMessage) -> Bool) throws -> KafkaMessage? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let message = try poll(timeout: min(0.2, max(0.01, deadline.timeIntervalSinceNow))), predicate(message) {
                return message
            }
        }
        return nil
    }

    /// The value this consumer runs with for a librdkafka setting (`fetch.wait.max.ms`), nil
    /// when there is no such setting.
    public func setting(_ name: String) -> String? {
        guard let configuration = rd_kafka_conf(handle) else { return nil }
        var size = 0
        guard rd_kafka_conf_get(configuration, name, nil, &size) == RD_KAFKA_CONF_OK, size > 0 else { return nil }
        var value = [CChar](repeating: 0, count: size)
        guard rd_kafka_conf_get(configuration, name, &value, &size) == RD_KAFKA_CONF_OK else { return nil }
        return String(decoding: value.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Leaves the group and releases the client.
    public func close() {
        let wasClosed = closed.withValue { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        rd_kafka_consumer_close(handle)
        rd_kafka_destroy(handle)
    }
}
