import Transport
import CRdKafka
import Foundation

/// Where a produced record landed.
public struct DeliveryReport: Sendable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
}

/// A librdkafka producer. `send` waits until the broker acknowledges the record.
/// Safe to use from several threads and tasks: a background thread serves delivery reports,
/// and that thread also flushes and destroys the client once the producer is closed or
/// released, so releasing it never blocks the caller. `close` waits for it.
public final class KafkaProducer: Sendable {
    private let handle: KafkaClientHandle
    private let running = LockedFlag(true)
    /// Whether the client may still be used; checked and held around every call into it, so
    /// the poll thread never destroys it under a caller.
    private let client: RetiringClient

    /// - Parameters:
    ///   - bootstrapServers: `host:port[,host:port]`.
    ///   - settings: extra librdkafka settings (e.g. `acks`, `linger.ms`).
    public init(bootstrapServers: String, settings: [String: String] = [:]) throws {
        var all = ["bootstrap.servers": bootstrapServers, "linger.ms": "1", "message.timeout.ms": "30000"]
        all.merge(settings) { _, new in new }
        let conf = try makeConfiguration(all)
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, _ in
            guard let message, let opaque = message.pointee._private else { return }
            let box = Unmanaged<DeliveryBox>.fromOpaque(opaque).takeRetainedValue()
            let m = message.pointee
            if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                box.complete(.failure(KafkaError(m.err, context: "delivery failed")))
            } else {
                let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
                box.complete(.success(DeliveryReport(topic: topic, partition: m.partition, offset: m.offset)))
            }
        }
        let handle = KafkaClientHandle(raw: try makeClient(RD_KAFKA_PRODUCER, conf))
        self.handle = handle
        let running = self.running
        let client = RetiringClient()
        self.client = client
        let pollThread = Thread {
            while running.value { rd_kafka_poll(handle.raw, 50) }
            // Closed or released: deliver what is still queued (bounded), then free the client.
            rd_kafka_flush(handle.raw, 2000)
            client.retire { rd_kafka_destroy(handle.raw) }
        }
        pollThread.name = "tollgate.kafka.producer"
        pollThread.start()
    }

    deinit { running.value = false }

    /// Delivers what is queued (for at most 2 s), frees the client and returns once it is gone;
    /// a send after it fails. Idempotent.
    public func close() async {
        running.value = false
        await client.retired()
    }

    /// Produces one record and waits for the broker's acknowledgement.
    @discardableResult
    public func send(topic: String, key: [UInt8]?, value: [UInt8], headers: [(name: String, value: [UInt8])] = [],
                     partition: Int32 = -1) async throws -> DeliveryReport {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try enqueue(topic: topic, key: key, value: value, headers: headers, partition: partition) { continuation.resume(with: $0) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    private func enqueue(topic: String, key: [UInt8]?, value: [UInt8], headers: [(name: String, value: [UInt8])], partition: Int32,
                         completion: @escaping @Sendable (Result<DeliveryReport, any Error>) -> Void) throws {
        try client.using { try produce(topic: topic, key: key, value: value, headers: headers, partition: partition, completion: completion) }
    }

    private func produce(topic: String, key: [UInt8]?, value: [UInt8], headers: [(name: String, value: [UInt8])], partition: Int32,
                         completion: @escaping @Sendable (Result<DeliveryReport, any Error>) -> Void) throws {
        let handle = self.handle.raw
        let box = DeliveryBox(completion: completion)
        let opaque = Unmanaged.passRetained(box).toOpaque()
        let headerList = rd_kafka_headers_new(headers.count)
        for header in headers {
            header.value.withUnsafeBytes { bytes in
                _ = rd_kafka_header_add(headerList, header.name, -1, bytes.baseAddress, bytes.count)
            }
        }
        let error: rd_kafka_resp_err_t = value.withUnsafeBytes { valueBytes in
            if let key {
                return key.withUnsafeBytes { keyBytes in
                    tg_kafka_produce(handle, topic, partition, keyBytes.baseAddress, keyBytes.count,
                                     valueBytes.baseAddress, valueBytes.count, headerList, opaque)
                }
            }
            return tg_kafka_produce(handle, topic, partition, nil, 0, valueBytes.baseAddress, valueBytes.count, headerList, opaque)
        }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            rd_kafka_headers_destroy(headerList)
            Unmanaged<DeliveryBox>.fromOpaque(opaque).release()
            throw KafkaError(error, context: "cannot produce to '\(topic)'")
        }
    }

    /// Looks topics up before the first send, so the first record to each does not wait for
    /// the client to learn where the topic lives.
    public func prepare(topics: [String], timeout: Double = 2) {
        try? client.using { lookUp(topics: topics, timeout: timeout) }
    }

    private func lookUp(topics: [String], timeout: Double) {
        // Topic handles make the topics "locally known"; one metadata request covers them all.
        let handles = topics.compactMap { rd_kafka_topic_new(handle.raw, $0, nil) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        _ = rd_kafka_metadata(handle.raw, 0, nil, &metadata, Int32(timeout * 1000))
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        handles.forEach { rd_kafka_topic_destroy($0) }
    }

    /// Whether a broker answers a metadata request within `timeout` seconds (for readiness checks).
    public func isBrokerReachable(timeout: Double = 1) -> Bool {
        (try? client.using { askForMetadata(timeout: timeout) }) ?? false
    }

    private func askForMetadata(timeout: Double) -> Bool {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle.raw, 0, nil, &metadata, Int32(timeout * 1000))
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        return error == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// Records produced and not yet acknowledged (librdkafka's out-queue).
    public var queuedCount: Int { (try? client.using { Int(rd_kafka_outq_len(handle.raw)) }) ?? 0 }

    /// Waits until every queued record is delivered or `timeout` seconds pass.
    public func flush(timeout: Double = 10) throws {
        let error = try client.using { rd_kafka_flush(handle.raw, Int32(timeout * 1000)) }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "flush") }
    }
}

/// The completion of one produced record; retained by librdkafka until its delivery report.
private final class DeliveryBox {
    let completion: @Sendable (Result<DeliveryReport, any Error>) -> Void
    init(completion: @escaping @Sendable (Result<DeliveryReport, any Error>) -> Void) { self.completion = completion }
    func complete(_ result: Result<DeliveryReport, any Error>) { completion(result) }
}

/// A librdkafka client handle. librdkafka's client calls (produce, poll, metadata, flush) are
/// thread-safe, so the handle may be used from any thread.
struct KafkaClientHandle: @unchecked Sendable {
    let raw: OpaquePointer
}
