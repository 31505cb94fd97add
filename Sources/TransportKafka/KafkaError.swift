import Transport
import CRdKafka
import Foundation

/// A Kafka failure with librdkafka's error name and message.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String

    init(_ error: rd_kafka_resp_err_t, context: String) {
        code = error.rawValue
        message = "\(context): \(String(cString: rd_kafka_err2name(error))) — \(String(cString: rd_kafka_err2str(error)))"
    }

    init(message: String) {
        code = -1
        self.message = message
    }

    public var description: String { message }
}

/// librdkafka configuration from string pairs (`bootstrap.servers`, `group.id`, …).
func makeConfiguration(_ settings: [String: String]) throws -> OpaquePointer {
    let conf = rd_kafka_conf_new()!
    var errorText = [CChar](repeating: 0, count: 512)
    for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
        if rd_kafka_conf_set(conf, key, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(message: "Kafka setting \(key)=\(value): \(String(nulTerminated: errorText))")
        }
    }
    // Connection noise (retries, brokers going away) surfaces as errors from send/poll;
    // librdkafka's own log lines only with TOLLGATE_KAFKA_LOG=1.
    if ProcessInfo.processInfo.environment["TOLLGATE_KAFKA_LOG"] != "1" {
        rd_kafka_conf_set_log_cb(conf) { _, _, _, _ in }
    }
    return conf
}

/// Creates a client handle; librdkafka takes ownership of `conf` on success.
func makeClient(_ type: rd_kafka_type_t, _ conf: OpaquePointer) throws -> OpaquePointer {
    var errorText = [CChar](repeating: 0, count: 512)
    guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
        rd_kafka_conf_destroy(conf)
        throw KafkaError(message: "cannot create Kafka client: \(String(nulTerminated: errorText))")
    }
    return handle
}
