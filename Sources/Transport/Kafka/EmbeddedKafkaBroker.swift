import CRdKafka
import Foundation

/// A real Kafka-protocol broker in this process: librdkafka's mock cluster, listening on
/// 127.0.0.1 at ports it picks. Other processes and clients connect to `bootstrapServers`.
public final class EmbeddedKafkaBroker: @unchecked Sendable {
    private let owner: OpaquePointer
    private let cluster: OpaquePointer
    /// `127.0.0.1:port[,…]`.
    public let bootstrapServers: String
    public let brokerCount: Int

    public init(brokers: Int = 1) throws {
        // The mock cluster lives inside a client handle that only owns it.
        let conf = try makeConfiguration(["log_level": "3"])
        owner = try makeClient(RD_KAFKA_PRODUCER, conf)
        guard let cluster = rd_kafka_mock_cluster_new(owner, Int32(brokers)) else {
            rd_kafka_destroy(owner)
            throw KafkaError(message: "cannot start the embedded Kafka broker")
        }
        self.cluster = cluster
        brokerCount = brokers
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(owner)
    }

    /// Creates a topic up front (topics are also created on first use).
    public func createTopic(_ name: String, partitions: Int = 1) throws {
        let error = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(min(brokerCount, 3)))
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "create topic '\(name)'") }
    }

    /// Takes broker `id` (1-based) away, as a crash would; `bringUp` restores it.
    public func takeDown(broker id: Int32 = 1) throws {
        let error = rd_kafka_mock_broker_set_down(cluster, id)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "take broker \(id) down") }
    }

    public func bringUp(broker id: Int32 = 1) throws {
        let error = rd_kafka_mock_broker_set_up(cluster, id)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "bring broker \(id) up") }
    }

    /// Adds `milliseconds` of round-trip time to broker `id`.
    public func setLatency(broker id: Int32 = 1, milliseconds: Int) throws {
        let error = rd_kafka_mock_broker_set_rtt(cluster, id, Int32(milliseconds))
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "set latency on broker \(id)") }
    }
}
