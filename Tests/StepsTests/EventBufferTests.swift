import ContractCore
import Steps
import Testing

@Suite struct EventBufferTests {
    static func event(_ order: String, correlation: String = "c1") -> JSONValue {
        .object(JSONObject([("correlation_id", .string(correlation)), ("payload", .object(JSONObject([("order_id", .string(order)), ("amount", .integer(5))])))]))
    }

    static func waiter(_ id: Int, order: String, deadline: UInt64 = 10_000) throws -> EventBuffer.Waiter {
        EventBuffer.Waiter(id: id, topic: "order.created", expected: [(try PathExpression("$.payload.order_id"), .string(order)),
                                                                      (try PathExpression("$.payload.amount"), .decimal(5.0))], deadline: deadline)
    }

    @Test func anEventAlreadySeenMatchesAtOnceThroughTheIndex() throws {
        var buffer = EventBuffer()
        for n in 0..<1000 { _ = buffer.add(Self.event("o-\(n)"), topic: "order.created", at: 1) }
        #expect(buffer.match(try Self.waiter(1, order: "o-777")) == Self.event("o-777"))
        // Later events join the index built by the first lookup.
        _ = buffer.add(Self.event("o-1000"), topic: "order.created", at: 2)
        #expect(buffer.match(try Self.waiter(2, order: "o-1000")) == Self.event("o-1000"))
        #expect(buffer.seen("order.created") == 1001)
    }

    @Test func aWaiterIsAnsweredByTheEventThatArrivesLater() throws {
        var buffer = EventBuffer()
        #expect(buffer.match(try Self.waiter(7, order: "o-9")) == nil)
        #expect(buffer.add(Self.event("o-8"), topic: "order.created", at: 5).isEmpty)
        #expect(buffer.add(Self.event("o-9"), topic: "other.topic", at: 5).isEmpty, "another topic does not count")
        #expect(buffer.add(Self.event("o-9"), topic: "order.created", at: 6).map(\.id) == [7])
        #expect(buffer.expire(now: 20_000).isEmpty, "an answered waiter does not expire")
    }

    @Test func waitersExpireAndOldEventsAreDropped() throws {
        var buffer = EventBuffer(retention: 1)
        _ = buffer.add(Self.event("old"), topic: "order.created", at: 0)
        #expect(buffer.match(try Self.waiter(1, order: "never", deadline: 500)) == nil)
        #expect(buffer.expire(now: 400).isEmpty)
        #expect(buffer.expire(now: 2_000_000_000).map(\.id) == [1])
        #expect(buffer.match(try Self.waiter(2, order: "old", deadline: 3_000_000_000)) == nil, "past the retention")
        #expect(buffer.seen("order.created") == 1)
    }
}
