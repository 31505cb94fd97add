package import ContractCore

/// Recent events by topic, indexed by the values expectations look for, and the expectations
/// still waiting. Pure (no clock, no lock): an event source feeds it events and time.
package struct EventBuffer: Sendable {
    /// An expectation waiting for its event; `id` is the caller's.
    package struct Waiter: Sendable {
        package let id: Int
        package let topic: String
        package let expected: [(path: PathExpression, value: JSONValue)]
        /// Monotonic nanoseconds.
        package let deadline: UInt64

        package init(id: Int, topic: String, expected: [(path: PathExpression, value: JSONValue)], deadline: UInt64) {
            self.id = id
            self.topic = topic
            self.expected = expected
            self.deadline = deadline
        }
    }

    private struct Topic {
        var events: [(at: UInt64, value: JSONValue)] = []
        /// The position of `events[0]` among every event the topic had.
        var first = 0
        /// For each JSON path text: the positions of the events by the value found there.
        var indexes: [String: [String: [Int]]] = [:]
        var waiters: [Waiter] = []
        var total: Int { first + events.count }
    }

    private var topics: [String: Topic] = [:]
    /// Events older than this many nanoseconds may be dropped.
    package let retention: UInt64

    package init(retention seconds: Double = 60) { retention = UInt64(seconds * 1e9) }

    /// How many events `topic` has had.
    package func seen(_ topic: String) -> Int { topics[topic]?.total ?? 0 }

    /// Adds an event; returns the waiters it satisfies (they stop waiting).
    package mutating func add(_ event: JSONValue, topic name: String, at now: UInt64) -> [Waiter] {
        var topic = topics[name] ?? Topic()
        let position = topic.total
        topic.events.append((now, event))
        for (path, _) in topic.indexes {
            if let key = Self.key(at: path, in: event) { topic.indexes[path]![key, default: []].append(position) }
        }
        var satisfied: [Waiter] = []
        topic.waiters.removeAll { waiter in
            guard EventExpectation.accepts(event, waiter.expected) else { return false }
            satisfied.append(waiter)
            return true
        }
        topics[name] = topic
        return satisfied
    }

    /// The event already seen that `expected` describes, or nil after registering `waiter` to wait for it.
    package mutating func match(_ waiter: Waiter) -> JSONValue? {
        var topic = topics[waiter.topic] ?? Topic()
        defer { topics[waiter.topic] = topic }
        if let (path, value) = waiter.expected.first {
            let text = path.text
            if topic.indexes[text] == nil {
                var index: [String: [Int]] = [:]
                for (offset, event) in topic.events.enumerated() {
                    if let key = Self.key(at: text, in: event.value) { index[key, default: []].append(topic.first + offset) }
                }
                topic.indexes[text] = index
            }
            for position in topic.indexes[text]?[Self.key(value)] ?? [] where position >= topic.first {
                let event = topic.events[position - topic.first].value
                if EventExpectation.accepts(event, waiter.expected) { return event }
            }
        } else if let event = topic.events.last?.value {
            return event
        }
        topic.waiters.append(waiter)
        return nil
    }

    /// Removes and returns the waiters whose deadline has passed; drops events older than the retention.
    package mutating func expire(now: UInt64) -> [Waiter] {
        var expired: [Waiter] = []
        for name in topics.keys {
            var topic = topics[name]!
            topic.waiters.removeAll { waiter in
                guard waiter.deadline <= now else { return false }
                expired.append(waiter)
                return true
            }
            let old = topic.events.prefix { now > $0.at && now - $0.at > retention }.count
            if old > 0 {
                topic.events.removeFirst(old)
                topic.first += old
                topic.indexes = topic.indexes.mapValues { index in
                    index.compactMapValues { positions in
                        let kept = positions.filter { $0 >= topic.first }
                        return kept.isEmpty ? nil : kept
                    }
                }
            }
            topics[name] = topic
        }
        return expired
    }

    /// The index key of a value: numbers by value, strings by text, the rest as JSON.
    static func key(_ value: JSONValue) -> String {
        switch value {
        case .integer, .decimal: return "n:\(value.doubleValue ?? 0)"
        case .string(let text): return "s:" + text
        default: return "j:" + JSONWriter.compact(value)
        }
    }

    static func key(at path: String, in event: JSONValue) -> String? {
        guard let expression = try? PathExpression(path), let found = JSONQuery.first(expression, in: event) else { return nil }
        return key(found)
    }
}
