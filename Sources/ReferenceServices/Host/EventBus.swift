import Foundation
import Transport
import TransportKafka

/// Where the services' events go: the given brokers, or a broker embedded in this process
/// (behind a fixed port when one is asked for); and the publisher the services use.
struct EventBus: Sendable {
    let broker: EmbeddedKafkaBroker?
    let forwarder: TCPForwarder?
    let bootstrap: String
    let publisher: any EventPublisher
    /// The producer under `publisher`, closed with the bus.
    let kafka: KafkaEventPublisher

    static func start(brokers: String?, fixedPort: Int?, host: String, options: ServiceOptions) async throws -> EventBus {
        var broker: EmbeddedKafkaBroker?
        var forwarder: TCPForwarder?
        var bootstrap: String
        if let brokers {
            bootstrap = brokers
        } else {
            let embedded = try await EmbeddedKafkaBroker.start(topics: ServiceStack.topics, partitions: 3)
            broker = embedded
            bootstrap = embedded.bootstrapServers
            if let fixedPort {
                let target = bootstrap.split(separator: ",")[0].split(separator: ":")
                forwarder = try TCPForwarder(listenHost: host, listenPort: fixedPort, targetHost: String(target[0]), targetPort: Int(target[1])!)
                bootstrap = "\(host):\(fixedPort)"
            }
        }
        let kafka = try KafkaEventPublisher(bootstrapServers: bootstrap, topics: ServiceStack.topics)
        // Breakages change an event before it is recorded (for /_pact/messages) and sent.
        let recorded: any EventPublisher = options.providerStates ? RecordingEventPublisher(inner: kafka) : kafka
        let publisher: any EventPublisher = options.breakages.isEmpty ? recorded : BreakingEventPublisher(inner: recorded, breakages: options.breakages)
        return EventBus(broker: broker, forwarder: forwarder, bootstrap: bootstrap, publisher: publisher, kafka: kafka)
    }

    /// Closes the producer, then the embedded broker and its forwarder: nothing of the bus runs
    /// or listens when this returns.
    func stop() async {
        await kafka.close()
        if let broker { await BlockingWork.run { broker.shutDown() } }
        forwarder?.stop()
    }
}
