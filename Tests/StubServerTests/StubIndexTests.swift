import ContractCore
import Testing

@testable import StubServer

/// The index must give the same answer as trying every interaction in pact order.
@Suite struct StubIndexTests {
    static let pact = """
    {"consumer": {"name": "c"}, "provider": {"name": "p"}, "metadata": {"pactSpecification": {"version": "3.0.0"}},
     "interactions": [
      {"description": "item one", "request": {"method": "GET", "path": "/items/1"}, "response": {"status": 200}},
      {"description": "any item", "request": {"method": "GET", "path": "/items/7",
        "matchingRules": {"path": {"matchers": [{"match": "regex", "regex": "^/items/[0-9]+$"}]}}}, "response": {"status": 201}},
      {"description": "item one again", "request": {"method": "get", "path": "/items/1"}, "response": {"status": 202}},
      {"description": "create", "request": {"method": "POST", "path": "/items"}, "response": {"status": 203}}
     ]}
    """

    static func index() throws -> StubIndex {
        StubIndex(StubRegistry.entries([(try Pact(json: Array(pact.utf8)), "test.json")]))
    }

    @Test func candidatesAreTheExactRouteAndTheRuledInteractionsInPactOrder() throws {
        let index = try Self.index()
        #expect(index.candidates(method: "GET", path: "/items/1") == [0, 1, 2])
        #expect(index.candidates(method: "GET", path: "/items/9") == [1])
        #expect(index.candidates(method: "POST", path: "/items") == [1, 3])
        #expect(index.candidates(method: "DELETE", path: "/nothing") == [1])
    }

    /// A regex a client can make backtrack (`^(a+)+$` on `aaaa…!`) is never run on an event loop:
    /// an index that matches by regex has its requests matched on the stub's own pool.
    @Test func anIndexKnowsWhetherItMatchesByRegex() throws {
        #expect(try Self.index().matchesByRegex)
        let plain = #"{"consumer": {"name": "c"}, "provider": {"name": "p"}, "metadata": {"pactSpecification": {"version": "3.0.0"}}, "interactions": [{"description": "one", "request": {"method": "GET", "path": "/items/1", "matchingRules": {"header": {"Accept": {"matchers": [{"match": "type"}]}}}}, "response": {"status": 200}}]}"#
        #expect(!StubIndex(StubRegistry.entries([(try Pact(json: Array(plain.utf8)), "plain.json")])).matchesByRegex)
        let bodyRegex = #"{"consumer": {"name": "c"}, "provider": {"name": "p"}, "metadata": {"pactSpecification": {"version": "3.0.0"}}, "interactions": [{"description": "one", "request": {"method": "POST", "path": "/items", "body": {"name": "aaa"}, "matchingRules": {"body": {"$.name": {"matchers": [{"match": "regex", "regex": "^(a+)+$"}]}}}}, "response": {"status": 200}}]}"#
        #expect(StubIndex(StubRegistry.entries([(try Pact(json: Array(bodyRegex.utf8)), "body.json")])).matchesByRegex)
    }

    @Test func theFirstMatchingInteractionInPactOrderAnswers() throws {
        let index = try Self.index()
        func answer(_ method: String, _ path: String) -> String? {
            guard case .matched(let entry) = StubMatcher.match(HTTPRequest(method: method, path: path), in: index, state: nil) else { return nil }
            return entry.description
        }
        #expect(answer("GET", "/items/1") == "item one")
        #expect(answer("get", "/items/1") == "item one")
        #expect(answer("GET", "/items/42") == "any item")
        #expect(answer("POST", "/items") == "create")
        #expect(answer("GET", "/items/x") == nil)
    }

    @Test func anUnmatchedRequestIsExplainedByEveryInteraction() throws {
        guard case .unmatched(let candidates) = StubMatcher.match(HTTPRequest(method: "PUT", path: "/items/x"), in: try Self.index(), state: nil) else {
            Issue.record("PUT /items/x matched")
            return
        }
        #expect(Set(candidates.map(\.entry.description)) == ["item one", "any item", "item one again", "create"])
    }

    @Test func responsesWithoutGeneratorsArePreparedOnce() throws {
        let entry = try #require(try Self.index().entries.first)
        #expect(entry.generators.isEmpty)
        #expect(entry.prepared.status == 200)
    }

    @Test func theRequestLogKeepsTheLatestInOrder() {
        var ring = RingBuffer<Int>(capacity: 10)
        for n in 0..<7 { ring.append(n) }
        #expect(ring.elements == Array(0..<7))
        for n in 7..<25 { ring.append(n) }
        #expect(ring.elements == Array(15..<25))
    }
}
