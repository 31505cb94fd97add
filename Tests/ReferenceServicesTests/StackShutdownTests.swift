import Foundation
import ReferenceServices
import ServerRuntime
import TestSupport
import Testing
import TransportHTTP

/// Stopping a stack ends everything it started: the servers, the payment reconciliations it
/// scheduled, the outbox relays and the embedded broker — nothing logs or listens afterwards.
@Suite struct StackShutdownTests {
    @Test func afterStopNothingOfTheStackLogsOrListens() async throws {
        let log = ServiceLog()
        var c = StackConfiguration.ephemeral()
        c.log = LogDestination(log.append)
        // The provider answers too late: each charge is left to a reconciliation, retried for seconds.
        c.providerFaults = ProviderFaults(latencyMs: 3_000, failureRate: 0)
        c.providerTimeout = 0.2
        c.reconcileAfter = 0.2
        let stack = try await ServiceStack.start(c)
        let client = HTTPClientPool()
        for key in ["a", "b", "c"] {
            let reply = try await client.send(HTTPClientRequest(
                method: "POST", url: stack.url("payment-service")! + "/api/v1/payments/process",
                headers: [("Content-Type", "application/json"), ("Idempotency-Key", key), ("Authorization", "Bearer \(stack.serviceToken)")],
                body: Array(#"{"order_id": "o-\#(key)", "amount": 10.00, "currency": "USD", "payment_method": "pm_card_visa"}"#.utf8)))
            #expect(reply.status == 502, "the provider did not answer in time: a reconciliation is scheduled")
        }
        let urls: [(name: String, url: String)] = [("api-gateway", stack.gatewayURL)]
            + ["user-service", "catalog-service", "order-service", "payment-service", "payment-provider", "monolith"].compactMap { name in stack.url(name).map { (name, $0) } }
        var ports: [(name: String, port: Int)] = urls.compactMap { entry in URLComponents(string: entry.url)?.port.map { (entry.name, $0) } }
        #expect(ports.count == 7)
        if let kafka = Int(stack.kafkaBootstrap.split(separator: ":").last ?? "") { ports.append(("kafka", kafka)) } else { Issue.record("no Kafka port") }

        // The stack's own sockets, listening and accepted: other tests in this process may be handed the ports once they are free.
        let sockets = OwnSockets.inodes(onLocalPorts: Set(ports.map(\.port)))
        #expect(sockets.count >= ports.count, "every server's listening socket is seen: \(sockets.count) sockets on \(ports)")
        await stack.stop(within: 2)
        let linesAtStop = log.text
        let left = sockets.intersection(OwnSockets.open())
        #expect(left.isEmpty, "\(left.count) of the stack's \(sockets.count) sockets still open after stop (ports \(ports))")
        // The reconciliations would have retried (0.2 s, 0.2 s, 0.4 s, 0.8 s, 1.6 s) and then logged
        // that they failed; the relays would have logged the broker gone.
        try await Task.sleep(for: .seconds(4))
        #expect(log.text == linesAtStop, "lines logged after stop returned:\n\(log.text.dropFirst(linesAtStop.count))")
    }
}
