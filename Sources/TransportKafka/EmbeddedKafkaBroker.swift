import Transport
import CRdKafka
import Foundation

/// A real Kafka-protocol broker in this process: librdkafka's mock cluster, listening on
/// 127.0.0.1 at ports it picks. Other processes and clients connect to `bootstrapServers`.
public final class EmbeddedKafkaBroker: Sendable {
    private let owner: KafkaClientHandle
    private let cluster: MockClusterHandle
    /// `127.0.0.1:port[,…]`.
    public let bootstrapServers: String
    public let brokerCount: Int
    private let client = RetiringClient()

    public init(brokers: Int = 1) throws {
        // The mock cluster lives inside a client handle that only owns it.
        let conf = try makeConfiguration(["log_level": "3"])
        let owner = try makeClient(RD_KAFKA_PRODUCER, conf)
        guard let cluster = rd_kafka_mock_cluster_new(owner, Int32(brokers)) else {
            rd_kafka_destroy(owner)
            throw KafkaError(message: "cannot start the embedded Kafka broker")
        }
        self.owner = KafkaClientHandle(raw: owner)
        self.cluster = MockClusterHandle(raw: cluster)
        brokerCount = brokers
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    /// A broker with `topics` created, started off the cooperative pool: creating a topic waits
    /// for the cluster's thread (stacks starting together once blocked both of the pool's threads
    /// that way, and everything else with them).
    public static func start(brokers: Int = 1, topics: [String], partitions: Int = 1) async throws -> EmbeddedKafkaBroker {
        try await BlockingWork.run {
            let broker = try EmbeddedKafkaBroker(brokers: brokers)
            for topic in topics { try broker.createTopic(topic, partitions: partitions) }
            return broker
        }
    }

    deinit { shutDown() }

    /// Closes the listener and frees the cluster; calls after it fail. Idempotent. Blocks
    /// briefly (librdkafka joins the cluster's thread).
    public func shutDown() {
        let (cluster, owner) = (self.cluster, self.owner)
        client.retire {
            rd_kafka_mock_cluster_destroy(cluster.raw)
            rd_kafka_destroy(owner.raw)
        }
    }

    /// Creates a topic up front (topics are also created on first use). Waits for the cluster's
    /// thread: call it off the cooperative pool (`BlockingWork.run`).
    public func createTopic(_ name: String, partitions: Int = 1) throws {
        let error = try client.using { rd_kafka_mock_topic_create(cluster.raw, name, Int32(partitions), Int32(min(brokerCount, 3))) }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "create topic '\(name)'") }
    }

    /// Takes broker `id` (1-based) away, as a crash would; `bringUp` restores it.
    public func takeDown(broker id: Int32 = 1) throws {
        let error = try client.using { rd_kafka_mock_broker_set_down(cluster.raw, id) }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "take broker \(id) down") }
    }

    public func bringUp(broker id: Int32 = 1) throws {
        let error = try client.using { rd_kafka_mock_broker_set_up(cluster.raw, id) }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "bring broker \(id) up") }
    }

    /// Adds `milliseconds` of round-trip time to broker `id`.
    public func setLatency(broker id: Int32 = 1, milliseconds: Int) throws {
        let error = try client.using { rd_kafka_mock_broker_set_rtt(cluster.raw, id, Int32(milliseconds)) }
        if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "set latency on broker \(id)") }
    }
}

/// A mock cluster handle. Its fault and topic calls hand their work to the cluster's own
/// thread and wait for it, so they may come from any thread.
struct MockClusterHandle: @unchecked Sendable {
    let raw: OpaquePointer
}
