import Transport
import CRdKafka
import Foundation
import Synchronization

/// A real Kafka-protocol broker in this process: librdkafka's mock cluster, listening on
/// 127.0.0.1 at ports it picks. Other processes and clients connect to `bootstrapServers`.
public final class EmbeddedKafkaBroker: Sendable {
    private let owner: KafkaClientHandle
    private let cluster: MockClusterHandle
    /// `127.0.0.1:port[,…]`.
    public let bootstrapServers: String
    public let brokerCount: Int
    private let client = RetiringClient()
    /// The topics `createTopic` made, and their partition counts (what an outage takes away).
    private let topics = Mutex<[String: Int]>([:])

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
        topics.withLock { $0[name] = partitions }
    }

    /// An outage: every partition of the topics created here loses its leader, so nothing can be
    /// produced or fetched until `bringUp` (sends wait, then fail as their timeout says). Not
    /// librdkafka's `broker_set_down`: that closes and re-binds the listener, and aborts the
    /// whole process when its port was taken meanwhile.
    public func takeDown() throws { try setLeaders(-1, "take the broker down") }

    /// Ends the outage: broker 1 leads every partition again (clients find it on their next metadata refresh).
    public func bringUp() throws { try setLeaders(1, "bring the broker up") }

    private func setLeaders(_ leader: Int32, _ context: String) throws {
        for (topic, partitions) in topics.withLock({ $0 }) {
            for partition in 0..<Int32(partitions) {
                let error = try client.using { rd_kafka_mock_partition_set_leader(cluster.raw, topic, partition, leader) }
                if error != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(error, context: "\(context) (\(topic)[\(partition)])") }
            }
        }
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
