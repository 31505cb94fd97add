import ContractCore
import Foundation
import TransportKafka

extension ProviderVerifier {
    /// Tollgate's way: the provider state made the service publish; read the topic named in
    /// the message's metadata and match the records that arrived since.
    func verifyOnKafka(_ interaction: Interaction, _ expected: Message, brokers: String, context: GeneratorContext, since start: Date) async throws -> InteractionOutcome {
        guard let topic = expected.metadata["topic"]?.stringValue else {
            return .error("message '\(interaction.description)' has no 'topic' in its metadata: add one, or verify with --messages-url")
        }
        // A key the state change returned narrows the search to that aggregate's records.
        let key = (context.providerState["message_key"] ?? context.providerState["key"])?.matchText
        let timeout = options.messageTimeout
        // Records from before this interaction belong to others.
        let since = Int64(start.timeIntervalSince1970 * 1000)
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    try Self.consume(topic: topic, brokers: brokers, key: key, expected: expected, since: since, timeout: timeout,
                                     description: interaction.description)
                })
            }.start()
        }
    }

    private static func consume(topic: String, brokers: String, key: String?, expected: Message, since: Int64, timeout: Double,
                                description: String) throws -> InteractionOutcome {
        let consumer = try KafkaConsumer(bootstrapServers: brokers, groupId: "tollgate-verify-\(UUID().uuidString)")
        defer { consumer.close() }
        let partitions = try consumer.partitionCount(topic: topic)
        guard partitions > 0 else { return .error("topic '\(topic)' does not exist on \(brokers)") }
        try consumer.assign((0..<partitions).map { (topic, Int32($0)) }, from: .beginning)
        var closest: [Mismatch]?
        var seen = 0, read = 0
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let record = try consumer.poll(timeout: 0.2) else { continue }
            read += 1
            if let timestamp = record.timestamp, timestamp < since { continue }
            if let key, record.keyText != key { continue }
            seen += 1
            let actual = actualMessage(record)
            let result = ContractMatcher.match(expected: expected, actual: actual)
            if result.matched { return .passed }
            if closest == nil || result.mismatches.count < closest!.count { closest = result.mismatches }
        }
        if let closest {
            // The latest candidates failed: report the closest one's mismatches.
            return .failed(closest)
        }
        let keyText = key.map { " with key '\($0)'" } ?? ""
        return .error("no message\(keyText) arrived on topic '\(topic)' within \(Int(timeout)) s (awaited for '\(description)'; \(read) record(s) read from the topic, \(seen) of them new enough\(key == nil ? "" : " and with that key"))")
    }

    static func actualMessage(_ record: KafkaMessage) -> Message {
        var metadata = JSONObject()
        for header in record.headers { metadata[header.name] = .string(String(decoding: header.value, as: UTF8.self)) }
        metadata["topic"] = .string(record.topic)
        if let key = record.keyText { metadata["key"] = .string(key) }
        let type = (metadata["contentType"] ?? metadata["content-type"])?.stringValue.flatMap(ContentType.init) ?? ContentType.detect(record.value)
        metadata["contentType"] = metadata["contentType"] ?? .string(type.essence)
        return Message(contents: Body.received(record.value, contentType: type), contentType: type, metadata: metadata)
    }
}
