@testable import ContractCore
import Testing

@Suite struct PactFileTests {
    let v3 = #"""
    {
      "consumer": {"name": "order-service"},
      "provider": {"name": "catalog-service"},
      "interactions": [{
        "description": "get product 42",
        "providerStates": [{"name": "product exists", "params": {"id": 42, "stock": 10}}],
        "request": {"method": "GET", "path": "/api/v1/products/42", "query": {"expand": ["stock"]},
                    "headers": {"Accept": "application/json"}},
        "response": {
          "status": 200,
          "headers": {"Content-Type": "application/json"},
          "body": {"id": 42, "price": "19.99", "tags": ["a"]},
          "matchingRules": {"body": {"$.id": {"matchers": [{"match": "integer"}]},
                                     "$.tags": {"matchers": [{"match": "type", "min": 1}], "combine": "AND"}}},
          "generators": {"body": {"$.id": {"type": "RandomInt", "min": 1, "max": 100}}},
          "x-vendor": "kept"
        }
      }],
      "messages": [{
        "description": "an order was created",
        "contents": {"order_id": "o-1"},
        "metaData": {"contentType": "application/json", "topic": "order.created"},
        "matchingRules": {"body": {"$.order_id": {"matchers": [{"match": "regex", "regex": "o-\\d+"}]}}}
      }],
      "metadata": {"pactSpecification": {"version": "3.0.0"}, "tool": "x"}
    }
    """#

    @Test func decodesV3HTTPAndMessages() throws {
        let pact = try Pact(json: Array(v3.utf8))
        #expect(pact.specVersion == .v3)
        #expect(pact.consumer == "order-service" && pact.provider == "catalog-service")
        #expect(pact.interactions.count == 2)
        let first = pact.interactions[0]
        #expect(first.providerStates == [ProviderState(name: "product exists", params: ["id": 42, "stock": 10])])
        guard case .http(let request, let response) = first.kind else { Issue.record("not HTTP"); return }
        #expect(request.query?.values("expand") == ["stock"])
        #expect(response.matchingRules.body.entries.count == 2)
        #expect(response.extras["x-vendor"] == "kept")
        guard case .asynchronousMessage(let message) = pact.interactions[1].kind else { Issue.record("not a message"); return }
        #expect(message.metadata["topic"] == "order.created")
    }

    @Test func reencodingKeepsUnknownFieldsAndRoundTrips() throws {
        let pact = try Pact(json: Array(v3.utf8))
        let text = JSONWriter.pretty(pact.encoded())
        let again = try Pact(json: Array(text.utf8))
        #expect(again == pact)
        #expect(text.contains("x-vendor"))
        #expect(text.contains("\"tool\""))
    }

    @Test func convertsV3ToV4AndBack() throws {
        let pact = try Pact(json: Array(v3.utf8))
        let v4 = try Pact(pact.encoded(version: .v4))
        #expect(v4.specVersion == .v4)
        #expect(v4.interactions.map(\.kind.typeName) == ["Synchronous/HTTP", "Asynchronous/Messages"])
        #expect(v4.interactions.map(\.description) == pact.interactions.map(\.description))
    }

    @Test func decodesV4WithPendingCommentsAndBodyEncodings() throws {
        let text = #"""
        {"consumer": {"name": "c"}, "provider": {"name": "p"},
         "interactions": [
           {"type": "Synchronous/HTTP", "description": "png", "pending": true, "comments": {"text": ["wip"]},
            "request": {"method": "GET", "path": "/logo"},
            "response": {"status": 200, "body": {"content": "iVBORw0=", "contentType": "image/png", "encoded": "base64"}}},
           {"type": "Synchronous/Messages", "description": "rpc",
            "request": {"contents": {"content": {"q": 1}, "contentType": "application/json"}},
            "response": [{"contents": {"content": "ok", "contentType": "text/plain"}}]}
         ],
         "metadata": {"pactSpecification": {"version": "4.0"}}}
        """#
        let pact = try Pact(json: Array(text.utf8))
        #expect(pact.interactions[0].pending)
        #expect(pact.interactions[0].comments?["text"] == ["wip"])
        guard case .http(_, let response) = pact.interactions[0].kind else { Issue.record("not HTTP"); return }
        #expect(response.body == .binary([0x89, 0x50, 0x4E, 0x47, 0x0D]))
        guard case .synchronousMessage(let request, let responses) = pact.interactions[1].kind else { Issue.record("not sync message"); return }
        #expect(request.contents == .json(["q": 1]))
        #expect(responses.first?.contents == .text("ok"))
    }

    @Test func v2FlatRulesAndProviderState() throws {
        let text = #"""
        {"consumer": {"name": "web"}, "provider": {"name": "users"},
         "interactions": [{"description": "d", "providerState": "user 1 exists",
           "request": {"method": "get", "path": "/users/1", "query": "a=1&a=2"},
           "response": {"status": 200, "body": {"id": 1},
             "matchingRules": {"$.body.id": {"match": "type"}, "$.headers.ETag": {"regex": "W/.*"}}}}],
         "metadata": {"pactSpecification": {"version": "2.0.0"}}}
        """#
        let pact = try Pact(json: Array(text.utf8))
        #expect(pact.specVersion == .v2)
        #expect(pact.interactions[0].providerStates.map(\.name) == ["user 1 exists"])
        guard case .http(let request, let response) = pact.interactions[0].kind else { Issue.record("not HTTP"); return }
        #expect(request.query?.values("a") == ["1", "2"])
        #expect(response.matchingRules.header("etag") == RuleList([.regex("W/.*")]))
        #expect(response.matchingRules.body.entries.first?.expression.text == "$.id")
    }

    @Test func malformedJSONNamesFileAndPosition() {
        let error = #expect(throws: PactError.self) { try Pact(json: Array("{\"consumer\": {\"name\": \"c\"},\n \"provider\": }".utf8), file: "pacts/c-p.json") }
        #expect(error?.file == "pacts/c-p.json")
        #expect(error?.description.contains("line 2") == true)
    }

    @Test func unknownMatcherNamesTheJSONPath() {
        let text = #"""
        {"consumer": {"name": "c"}, "provider": {"name": "p"},
         "interactions": [{"description": "d", "request": {"method": "GET", "path": "/"},
           "response": {"status": 200, "body": {"a": 1},
             "matchingRules": {"body": {"$.a": {"matchers": [{"match": "fuzzy"}]}}}}}],
         "metadata": {"pactSpecification": {"version": "3.0.0"}}}
        """#
        let error = #expect(throws: PactError.self) { try Pact(json: Array(text.utf8), file: "x.json") }
        #expect(error?.path == "$.interactions[0].response.matchingRules.body['$.a'].matchers[0].match")
        #expect(error?.reason.contains("unknown matcher 'fuzzy'") == true)
        #expect(error?.description.hasPrefix("x.json: ") == true)
    }

    @Test func structuralErrorsArePactErrors() {
        #expect(throws: PactError.self) { try Pact(json: Array(#"{"consumer": {"name": "c"}}"#.utf8)) }
        #expect(throws: PactError.self) {
            try Pact(json: Array(#"{"consumer": {"name": "c"}, "provider": {"name": "p"}, "interactions": [{"description": "d", "request": {}, "response": {"status": "ok"}}]}"#.utf8))
        }
        #expect(throws: PactError.self) {
            try Pact(json: Array(#"{"consumer": {"name": "c"}, "provider": {"name": "p"}, "interactions": [{"type": "Carrier/Pigeon", "description": "d"}]}"#.utf8))
        }
        #expect(throws: PactError.self) {
            try Pact(json: Array(#"{"consumer": {"name": "c"}, "provider": {"name": "p"}, "interactions": [{"description": "d", "request": {}, "response": {"matchingRules": {"body": {"$.a[": {"matchers": [{"match": "type"}]}}}}}], "metadata": {"pactSpecification": {"version": "3.0.0"}}}"#.utf8))
        }
    }
}
