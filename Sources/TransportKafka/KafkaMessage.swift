import Transport
import CRdKafka

/// A record read from (or written to) a topic.
public struct KafkaMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [(name: String, value: [UInt8])]
    /// Milliseconds since the epoch, when the broker reported one.
    public var timestamp: Int64?

    public var keyText: String? { key.map { String(decoding: $0, as: UTF8.self) } }
    public var valueText: String { String(decoding: value, as: UTF8.self) }

    /// The first header called `name`, as text.
    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    /// Copies a message out of librdkafka's memory.
    init(_ raw: UnsafePointer<rd_kafka_message_t>) {
        let m = raw.pointee
        topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        partition = m.partition
        offset = m.offset
        key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? []
        var headerList: OpaquePointer?
        var collected: [(String, [UInt8])] = []
        if rd_kafka_message_headers(raw, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>?
            var data: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &data, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let bytes = data.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                collected.append((name.map { String(cString: $0) } ?? "", bytes))
                index += 1
            }
        }
        headers = collected
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ts = rd_kafka_message_timestamp(raw, &timestampType)
        timestamp = timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : ts
    }

    public init(topic: String, partition: Int32 = -1, offset: Int64 = -1, key: [UInt8]?, value: [UInt8],
                headers: [(name: String, value: [UInt8])] = [], timestamp: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }
}
