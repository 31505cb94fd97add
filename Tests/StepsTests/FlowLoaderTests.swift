import Foundation
import Steps
import Testing

@Suite struct FlowLoaderTests {
    @Test func aFlowReadsItsRequestsAndEventExpectationsInOrder() throws {
        let yaml = """
            name: buy
            target: ${TARGET:-http://127.0.0.1:8000}
            steps:
              - name: place order
                method: POST
                path: /api/v1/orders
                body: {sku: A1}
                capture: {order_id: $.id}
                check: {status: 201}
              - expect_event:
                  name: order created
                  topic: order.created
                  match: {$.payload.order_id: "${order_id}"}
                  within: 2s
                  capture: {event_id: $.event_id}
              - name: read it
                path: /api/v1/orders/${order_id}?e=${event_id}
            """
        let flow = try FlowLoader.parse(yaml, file: "buy.yaml", environment: ["TARGET": "http://127.0.0.1:9000"])
        #expect(flow.name == "buy")
        #expect(flow.target == "http://127.0.0.1:9000")
        #expect(flow.items.map(\.name) == ["place order", "order created", "read it"])
        #expect(flow.topics == ["order.created"])
        guard case .event(let expectation) = flow.items[1] else { Issue.record("the second item is not an event expectation"); return }
        #expect(expectation.within == 2)
        #expect(expectation.captures.map(\.variable) == ["event_id"])
    }

    @Test func aBrokenFlowListsEveryProblemWithItsLineAndField() {
        let yaml = """
            name: broken
            target: ftp://example
            stepz: []
            steps:
              - name: uses what nobody captured
                path: /orders/${order_id}
              - expect_event: {topic: "bad topic!", within: 20m}
              - expect_event: {match: {$.id: 1}}
            """
        do {
            _ = try FlowLoader.parse(yaml, file: "broken.yaml")
            Issue.record("a broken flow was accepted")
        } catch let error as FileProblems {
            let text = error.description
            for expected in ["broken.yaml:3: stepz", "target: not an http:// or https:// URL", "steps[0]: '${order_id}' is not captured by an earlier step",
                             "steps[1].expect_event.topic: 'bad topic!' is not a Kafka topic name", "steps[1].expect_event.within: must be between 0 and 10m",
                             "steps[2].expect_event: an event expectation needs a 'topic'"] {
                #expect(text.contains(expected), "\(expected) in:\n\(text)")
            }
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func aMissingFileIsAProblemNamingIt() {
        #expect(throws: FileProblems.self) { try FlowLoader.load(file: "/nonexistent/flow.yaml", environment: [:]) }
    }
}
