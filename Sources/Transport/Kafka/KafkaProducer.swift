import CRdKafka
import Foundation

/// Where a produced record landed.
public struct DeliveryReport: Sendable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
}

/// A librdkafka producer. `send` waits until the broker acknowledges the record.
/// Safe to use from several threads and tasks: a background thread serves delivery reports.
public final class KafkaProducer: @unchecked Sendable {
    private let handle: OpaquePointer
    private let pollThread: Thread
    private let running = ManagedAtomicFlag()

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
        handle = try makeClient(RD_KAFKA_PRODUCER, conf)
        let handle = self.handle
        let running = self.running
        running.set(true)
        pollThread = Thread {
            while running.get() { rd_kafka_poll(handle, 50) }
        }
        pollThread.name = "tollgate.kafka.producer"
        pollThread.start()
    }

    deinit {
        rd_kafka_flush(handle, 5000)
        running.set(false)
        while !pollThread.isFinished { usleep(1000) }
        rd_kafka_destroy(handle)
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

    /// Blocking form of `send`, for code that is not async.
    @discardableResult
    public func sendAndWait(topic: String, key: [UInt8]?, value: [UInt8], headers: [(name: String, value: [UInt8])] = [],
                            partition: Int32 = -1) throws -> DeliveryReport {
        let done = DispatchSemaphore(value: 0)
        var outcome: Result<DeliveryReport, any Error>?
        try enqueue(topic: topic, key: key, value: value, headers: headers, partition: partition) {
            outcome = $0
            done.signal()
        }
        done.wait()
        return try outcome!.get()
    }

    private func enqueue(topic: String, key: [UInt8]?, value: [UInt8], headers: [(name: String, value: [UInt8])], partition: Int32,
                         completion: @escaping (Result<DeliveryReport, any Error>) -> Void) throws {
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
        // Topic handles make the topics "locally known"; one metadata request covers them all.
        let handles = topics.compactMap { rd_kafka_topic_new(handle, $0, nil) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        _ = rd_kafka_metadata(handle, 0, nil, &metadata, Int32(timeout * 1000))
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        handles.forEach { rd_kafka_topic_destroy($0) }
    }

    /// Whether a broker answers a metadata request within `timeout` seconds (for readiness checks).
    public func isBrokerReachable(timeout: Double = 1) -> Bool {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle, 0, nil, &metadata, Int32(timeout * 1000))
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        return error == RD_KAFKA_RESP_ERR_NO_ERROR
    }

    /// Waits until every queued record is delivered or `timeout` seconds pass.
    public func flush(timeout: Double = 10) throws {
        let error = rd_kafka_flush(handle, Int32(timeout * 1000))
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "flush") }
    }
}

private final class DeliveryBox {
    let completion: (Result<DeliveryReport, any Error>) -> Void
    init(completion: @escaping (Result<DeliveryReport, any Error>) -> Void) { self.completion = completion }
    func complete(_ result: Result<DeliveryReport, any Error>) { completion(result) }
}

/// A boolean shared with a background thread.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set(_ newValue: Bool) { lock.lock(); value = newValue; lock.unlock() }
    func get() -> Bool { lock.lock(); defer { lock.unlock() }; return value }
}
