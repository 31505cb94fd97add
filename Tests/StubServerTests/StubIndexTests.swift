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

    /// pact-python sorts interactions by description and puts a `type` rule on a generated path:
    /// "a request for an existing order" (any path) came first and answered GET /api/v1/products/7.
    @Test func theMostSpecificMatchingInteractionAnswers() throws {
        let pact = #"""
        {"consumer": {"name": "c"}, "provider": {"name": "p"}, "metadata": {"pactSpecification": {"version": "3.0.0"}},
         "interactions": [
          {"description": "a request for an existing order", "request": {"method": "GET", "path": "/api/v1/orders/1",
            "matchingRules": {"path": {"matchers": [{"match": "type"}]}}}, "response": {"status": 200}},
          {"description": "a request for a product", "request": {"method": "GET", "path": "/api/v1/products/7"}, "response": {"status": 201}},
          {"description": "a search", "request": {"method": "GET", "path": "/api/v1/products", "query": {"q": ["shoe"]},
            "matchingRules": {"query": {"q": {"matchers": [{"match": "type"}]}}}}, "response": {"status": 202}},
          {"description": "a search for shoes", "request": {"method": "GET", "path": "/api/v1/products", "query": {"q": ["shoe"]}}, "response": {"status": 203}}
         ]}
        """#
        let index = StubIndex(StubRegistry.entries([(try Pact(json: Array(pact.utf8)), "python.json")]))
        func answer(_ path: String, query: String? = nil) -> (String, [String])? {
            let request = HTTPRequest(method: "GET", path: path, query: query.map { Query(parsing: $0) })
            guard case .matched(let entry, let tie) = StubMatcher.match(request, in: index, state: nil) else { return nil }
            return (entry.description, tie)
        }
        #expect(answer("/api/v1/products/7")?.0 == "a request for a product", "a literal path over a rule-matched one")
        #expect(answer("/api/v1/orders/3")?.0 == "a request for an existing order")
        #expect(answer("/api/v1/products", query: "q=shoe")?.0 == "a search for shoes", "an exact value over a rule-matched one")
        #expect(answer("/api/v1/products", query: "q=boot")?.0 == "a search")
    }

    @Test func theFirstMatchingInteractionInPactOrderAnswers() throws {
        let index = try Self.index()
        func answer(_ method: String, _ path: String) -> String? {
            guard case .matched(let entry, _) = StubMatcher.match(HTTPRequest(method: method, path: path), in: index, state: nil) else { return nil }
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
