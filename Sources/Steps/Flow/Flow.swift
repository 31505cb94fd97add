package import ContractCore
import Foundation

/// An end-to-end flow: request steps (the load engine's step model) and expectations on the
/// events the services publish, run in order by one user.
package struct Flow: Sendable {
    package enum Item: Sendable {
        case request(Step)
        case event(EventExpectation)

        package var name: String {
            switch self {
            case .request(let step): return step.name
            case .event(let expectation): return expectation.name
            }
        }
    }

    package var name: String
    package var description: String
    /// The base URL requests go to, unless `--target` says otherwise.
    package var target: String
    package var items: [Item]
    package var source: String
    /// How an `https://` target is connected to.
    package var tls: TLSSettings

    package init(name: String, description: String = "", target: String = "", items: [Item], source: String, tls: TLSSettings = TLSSettings()) {
        self.tls = tls
        self.name = name
        self.description = description
        self.target = target
        self.items = items
        self.source = source
    }

    /// The topics the flow's expectations read (a consumer is started for them before the first step).
    package var topics: [String] {
        var seen: [String] = []
        for case .event(let expectation) in items where !seen.contains(expectation.topic) { seen.append(expectation.topic) }
        return seen
    }
}

/// Where the strangler gateway sent a request: a response with `X-Routed-To: legacy` came from
/// the monolith, which publishes no events, so that iteration's event expectations do not apply.
package enum LegacyRouting {
    package static func servedByLegacy(_ headers: [(name: String, value: String)]) -> Bool {
        headers.contains { $0.name.lowercased() == "x-routed-to" && $0.value.trimmingCharacters(in: .whitespaces).lowercased() == "legacy" }
    }
}

/// An event the flow expects on a topic within a time: every `match` path must hold its value.
package struct EventExpectation: Sendable {
    package var name: String
    package var topic: String
    /// JSON paths into the event (`$.payload.order_id`) and the values they must equal.
    package var match: [(path: PathExpression, value: JSONTemplate)]
    /// Seconds from when the expectation is reached (earlier events count: the consumer reads
    /// from the start of the flow).
    package var within: Double
    package var captures: [Capture]

    package init(name: String, topic: String, match: [(path: PathExpression, value: JSONTemplate)], within: Double, captures: [Capture] = []) {
        self.name = name
        self.topic = topic
        self.match = match
        self.within = within
        self.captures = captures
    }

    /// The values each `match` path must hold, rendered from `scope`.
    package func expectedValues(_ scope: inout RenderScope) -> [(path: PathExpression, value: JSONValue)] {
        match.map { ($0.path, $0.value.render(&scope)) }
    }

    /// Whether `event` holds every expected value (numbers compare by value).
    package static func accepts(_ event: JSONValue, _ expected: [(path: PathExpression, value: JSONValue)]) -> Bool {
        expected.allSatisfy { path, value in
            guard let found = JSONQuery.first(path, in: event) else { return false }
            if found == value { return true }
            if let a = found.doubleValue, let b = value.doubleValue { return a == b }
            return false
        }
    }
}

/// Where flows and load runs read events from (Kafka in the CLI; anything in tests).
package protocol EventSource: Sendable {
    /// Calls `then` once: with the first event on `topic` holding every expected value — one
    /// seen since the source started, or one arriving within `timeout` seconds — or with nil,
    /// and with how many events the topic has had.
    func expect(topic: String, matching expected: [(path: PathExpression, value: JSONValue)], within timeout: Double,
                then: @escaping @Sendable (JSONValue?, Int) -> Void)
    /// What went wrong reading events lately (nil when nothing did), told with a missing event.
    var trouble: String? { get }
}

extension EventSource {
    package var trouble: String? { nil }

    /// `expect` for async callers.
    package func first(topic: String, matching expected: [(path: PathExpression, value: JSONValue)], within timeout: Double) async -> (event: JSONValue?, seen: Int) {
        await withCheckedContinuation { continuation in
            expect(topic: topic, matching: expected, within: timeout) { event, seen in continuation.resume(returning: (event, seen)) }
        }
    }
}
