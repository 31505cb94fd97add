import ContractCore
import Foundation
import OpenAPICheck
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A small order API written for these tests: every problem below has one place to be found.
let ordersDocument = #"""
{
  "openapi": "3.1.0",
  "info": {"title": "orders", "version": "1"},
  "paths": {
    "/api/v1/orders": {
      "get": {
        "parameters": [
          {"in": "query", "name": "limit", "required": true, "schema": {"type": "integer", "minimum": 1}},
          {"in": "query", "name": "status", "schema": {"$ref": "#/components/schemas/Status"}}
        ],
        "responses": {"200": {"description": "a page", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Order"}}}}}}
      },
      "post": {
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewOrder"}}}},
        "responses": {
          "201": {"description": "placed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
          "4XX": {"description": "refused", "content": {"application/json": {"schema": {"type": "object"}}}}
        }
      }
    },
    "/api/v1/orders/{id}": {
      "parameters": [{"in": "path", "name": "id", "required": true, "schema": {"type": "integer"}}],
      "get": {"responses": {"200": {"description": "one", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}}}},
      "delete": {"responses": {"204": {"description": "gone"}}}
    }
  },
  "components": {
    "schemas": {
      "Status": {"type": "string", "enum": ["pending", "confirmed", "cancelled"]},
      "NewOrder": {
        "type": "object",
        "required": ["items", "payment_method"],
        "properties": {
          "items": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["product_id", "quantity"],
                    "properties": {"product_id": {"type": "integer"}, "quantity": {"type": "integer", "minimum": 1}}}},
          "payment_method": {"type": "string", "enum": ["card", "invoice"]},
          "note": {"type": ["string", "null"], "maxLength": 200}
        }
      },
      "Order": {
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "status", "total"],
        "properties": {
          "id": {"type": "integer"},
          "status": {"$ref": "#/components/schemas/Status"},
          "total": {"type": "number"},
          "coupon": {"type": "string"}
        }
      }
    }
  }
}
"""#

/// A v3 pact with one interaction; `request` and `response` are its JSON.
func pact(request: String, response: String) throws -> Pact {
    let text = #"{"consumer": {"name": "web-app"}, "provider": {"name": "order-service"}, "metadata": {"pactSpecification": {"version": "3.0.0"}},"#
        + #" "interactions": [{"description": "the interaction", "request": \#(request), "response": \#(response)}]}"#
    return try Pact(json: Array(text.utf8), file: "test.json")
}

func problems(_ pact: Pact, document text: String = ordersDocument) throws -> [CompatibilityProblem] {
    let document = try OpenAPIDocument(bytes: Array(text.utf8), source: "orders.json")
    return try OpenAPICompatibility(document: document).check(pact.interactions[0], index: 0)?.problems ?? []
}

/// 4 KB that doubles the work at each of `levels` levels: every level's `anyOf` (or `allOf`)
/// has two `$ref`s to the same next level.
func doublingDocument(levels: Int, keyword: String = "anyOf") -> String {
    var schemas = (0..<levels).map { ##""L\##($0)": {"\##(keyword)": [{"$ref": "#/components/schemas/L\##($0 + 1)"}, {"$ref": "#/components/schemas/L\##($0 + 1)"}]}"## }
    schemas.append(##""L\##(levels)": {"type": "object"}"##)
    return ##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/things": {"get": {"responses": {"200": {"description": "ok", "##
        + ##""content": {"application/json": {"schema": {"$ref": "#/components/schemas/L0"}}}}}}}}, "components": {"schemas": {"##
        + schemas.joined(separator: ", ") + "}}}"
}

/// A document too costly to evaluate stops the check, naming it; so does an interruption.
@Suite struct SchemaBudgetTests {
    let getThings = #"{"method": "GET", "path": "/things"}"#
    let things = #"{"status": 200, "headers": {"Content-Type": "application/json"}, "body": {"a": 1}}"#

    @Test(arguments: ["anyOf", "allOf"]) func fortyDoublingLevelsAreTooCostly(keyword: String) throws {
        let document = try OpenAPIDocument(bytes: Array(doublingDocument(levels: 40, keyword: keyword).utf8), source: "doubling.json")
        let interaction = try pact(request: getThings, response: things).interactions[0]
        #expect {
            try OpenAPICompatibility(document: document).check(interaction, index: 0)
        } throws: { error in
            let stopped = error as? SchemaCheckStopped
            return stopped?.interrupted == false && stopped?.description.hasPrefix("doubling.json: checking $.interactions[0] (the interaction) took more than") == true
        }
    }

    @Test func aFewDoublingLevelsAreStillChecked() throws {
        let document = doublingDocument(levels: 6)
        #expect(try problems(pact(request: getThings, response: things), document: document) == [])
        let wrong = try problems(pact(request: getThings, response: #"{"status": 200, "headers": {"Content-Type": "application/json"}, "body": [1]}"#), document: document)
        #expect(wrong.contains { $0.severity == .error && $0.part == .body }, "\(wrong)")
    }

    /// An enum of 100,000 values named in full made a 16 MB line per mismatch: ten, then how many more.
    @Test func aHugeEnumIsNamedInShort() throws {
        let options = (0..<100_000).map { "\"v\($0)\"" }.joined(separator: ",")
        let document = ##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/things": {"get": {"responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {"kind": {"type": "string", "enum": ["## + options + ##"]}}}}}}}}}}}"##
        let found = try problems(pact(request: getThings, response: #"{"status": 200, "headers": {"Content-Type": "application/json"}, "body": {"kind": "other"}}"#), document: document)
        let error = try #require(found.first { $0.severity == .error })
        #expect(error.message.hasSuffix("is not one of \"v0\", \"v1\", \"v2\", \"v3\", \"v4\", \"v5\", \"v6\", \"v7\", \"v8\", \"v9\" … (99990 more)"), "\(error.message.prefix(300))")
        #expect(error.message.count + (error.expected?.count ?? 0) < 1_000)
    }

    /// 60 MB of tiny YAML values took more than 4 GB before the value budget was spent: they are
    /// counted before the text is composed.
    @Test func aYAMLDocumentOfMillionsOfTinyValuesIsRefusedBeforeItIsBuilt() throws {
        let text = "openapi: 3.1.0\nx-values:\n" + String(repeating: "- 1\n", count: 4_100_000)
        #expect {
            _ = try OpenAPIDocument(bytes: Array(text.utf8), source: "tiny.yaml")
        } throws: { error in
            "\(error)".hasPrefix("tiny.yaml at #: 82") && "\(error)".hasSuffix("places where a value starts: more than the 2000000 values a document may hold")
        }
    }

    @Test func anInterruptionStopsTheCheckAtOnce() throws {
        let document = try OpenAPIDocument(bytes: Array(doublingDocument(levels: 40).utf8), source: "doubling.json")
        let interaction = try pact(request: getThings, response: things).interactions[0]
        var asked = 0
        #expect {
            try OpenAPICompatibility(document: document).check(interaction, index: 0, stopped: { asked += 1; return true })
        } throws: { error in
            (error as? SchemaCheckStopped)?.interrupted == true
        }
        #expect(asked == 1, "stopped at the first look")
    }
}

let placeOrder = #"{"method": "POST", "path": "/api/v1/orders", "headers": {"Content-Type": "application/json"}, "body": {"items": [{"product_id": 42, "quantity": 2}], "payment_method": "card"}}"#
let placed = #"{"status": 201, "headers": {"Content-Type": "application/json"}, "body": {"id": 7, "status": "confirmed", "total": 59.9}}"#

@Suite struct OpenAPICompatibilityTests {
    @Test func aCompatibleInteractionHasNoProblem() throws {
        #expect(try problems(pact(request: placeOrder, response: placed)) == [])
    }

    @Test func anUnknownPathIsFoundAtThePathAndThePaths() throws {
        let found = try problems(pact(request: #"{"method": "GET", "path": "/api/v1/orderz", "query": {"limit": ["5"]}}"#, response: #"{"status": 200}"#))
        #expect(found.count == 1)
        #expect(found.first?.severity == .error)
        #expect(found.first?.pactPath == "$.interactions[0].request.path")
        #expect(found.first?.documentPlace == "#/paths")
        #expect(found.first?.message.contains("/api/v1/orderz") == true)
    }

    @Test func aWrongMethodNamesTheMethodsThePathHas() throws {
        let found = try problems(pact(request: #"{"method": "PUT", "path": "/api/v1/orders/7"}"#, response: #"{"status": 200}"#))
        #expect(found.map(\.pactPath) == ["$.interactions[0].request.method"])
        #expect(found.first?.documentPlace == "#/paths/~1api~1v1~1orders~1{id}")
        #expect(found.first?.message.contains("GET, DELETE") == true)
    }

    @Test func aMissingRequiredQueryParameterIsAnError() throws {
        let found = try problems(pact(request: #"{"method": "GET", "path": "/api/v1/orders", "query": {"status": ["pending"]}}"#, response: #"{"status": 200}"#))
        #expect(found.count == 1)
        #expect(found.first?.pactPath == "$.interactions[0].request.query.limit")
        #expect(found.first?.documentPlace == "#/paths/~1api~1v1~1orders/get/parameters/0/required")
    }

    @Test func aStringWhereTheSchemaHasAnIntegerIsAnError() throws {
        // In the path…
        let inPath = try problems(pact(request: #"{"method": "GET", "path": "/api/v1/orders/abc"}"#, response: #"{"status": 200}"#))
        #expect(inPath.map(\.pactPath) == ["$.interactions[0].request.path"])
        #expect(inPath.first?.documentPlace == "#/paths/~1api~1v1~1orders~1{id}/parameters/0/schema")
        // …and in a body, found through two $refs and an array.
        let body = placeOrder.replacingOccurrences(of: #""quantity": 2"#, with: #""quantity": "2""#)
        let inBody = try problems(pact(request: body, response: placed))
        #expect(inBody.count == 1)
        #expect(inBody.first?.pactPath == "$.interactions[0].request.body.items[0].quantity")
        #expect(inBody.first?.documentPlace == "#/paths/~1api~1v1~1orders/post/requestBody/content/application~1json/schema/properties/items/items/properties/quantity/type"
                + " (written at #/components/schemas/NewOrder/properties/items/items/properties/quantity/type)")
        #expect(inBody.first?.message.contains("a string where the document has integer") == true)
    }

    @Test func aStatusTheOperationDoesNotDocumentIsAnErrorAndRangesCount() throws {
        let teapot = try problems(pact(request: placeOrder, response: #"{"status": 500}"#))
        #expect(teapot.map(\.pactPath) == ["$.interactions[0].response.status"])
        #expect(teapot.first?.documentPlace == "#/paths/~1api~1v1~1orders/post/responses")
        #expect(teapot.first?.message.contains("201, 4XX") == true)
        // 409 falls under 4XX.
        #expect(try problems(pact(request: placeOrder, response: #"{"status": 409, "body": {"error": "conflict"}}"#)) == [])
    }

    @Test func aRequiredFieldTheConsumerDoesNotExpectIsFineAForbiddenOneIsAnError() throws {
        // The consumer needs only the id: the provider sends more, which is fine.
        #expect(try problems(pact(request: placeOrder, response: #"{"status": 201, "body": {"id": 7}}"#)) == [])
        // A field the schema does not have, with additionalProperties: false.
        let found = try problems(pact(request: placeOrder, response: #"{"status": 201, "body": {"id": 7, "discount": 5}}"#))
        #expect(found.count == 1)
        #expect(found.first?.severity == .error)
        #expect(found.first?.pactPath == "$.interactions[0].response.body.discount")
        #expect(found.first?.documentPlace.hasSuffix("(written at #/components/schemas/Order/additionalProperties)") == true)
        // A field the schema marks optional: the provider may leave it out.
        let optional = try problems(pact(request: placeOrder, response: #"{"status": 201, "body": {"id": 7, "coupon": "SPRING"}}"#))
        #expect(optional.map(\.severity) == [.warning])
        #expect(optional.first?.pactPath == "$.interactions[0].response.body.coupon")
        #expect(optional.first?.documentPlace.hasSuffix("#/components/schemas/Order/properties/coupon)") == true)
        // A request missing a required field is an error.
        let missing = try problems(pact(request: #"{"method": "POST", "path": "/api/v1/orders", "body": {"items": [{"product_id": 42, "quantity": 2}]}}"#, response: placed))
        #expect(missing.map(\.pactPath) == ["$.interactions[0].request.body.payment_method"])
        #expect(missing.first?.documentPlace.hasSuffix("#/components/schemas/NewOrder/required/1)") == true)
    }

    @Test func anEnumValueOutsideTheSchemasIsAnError() throws {
        let body = placeOrder.replacingOccurrences(of: #""card""#, with: #""bitcoin""#)
        let found = try problems(pact(request: body, response: placed))
        #expect(found.count == 1)
        #expect(found.first?.pactPath == "$.interactions[0].request.body.payment_method")
        #expect(found.first?.documentPlace.hasSuffix("#/components/schemas/NewOrder/properties/payment_method/enum)") == true)
        #expect(found.first?.expected == #"["card","invoice"]"#)
    }

    @Test func aTypeRuleOnARequestEnumIsAnErrorAndOnAResponseFine() throws {
        let typed = placeOrder.dropLast() + #", "matchingRules": {"body": {"$.payment_method": {"matchers": [{"match": "type"}]}}}}"#
        let request = try problems(pact(request: String(typed), response: placed))
        #expect(request.count == 1)
        #expect(request.first?.severity == .error)
        #expect(request.first?.pactPath == "$.interactions[0].request.body.payment_method")
        #expect(request.first?.message.contains("may send any string") == true)
        // A regex that stays within the enum is fine.
        let within = placeOrder.dropLast() + #", "matchingRules": {"body": {"$.payment_method": {"matchers": [{"match": "regex", "regex": "^(card|invoice)$"}]}}}}"#
        #expect(try problems(pact(request: String(within), response: placed)) == [])
        // On the response the consumer accepts any string where the provider sends one of three.
        let response = placed.dropLast() + #", "matchingRules": {"body": {"$.status": {"matchers": [{"match": "type"}]}}}}"#
        #expect(try problems(pact(request: placeOrder, response: String(response))) == [])
        // A response regex that refuses a value the provider may send is an error.
        let narrow = placed.dropLast() + #", "matchingRules": {"body": {"$.status": {"matchers": [{"match": "regex", "regex": "pending|confirmed"}]}}}}"#
        let refused = try problems(pact(request: placeOrder, response: String(narrow)))
        #expect(refused.map(\.severity) == [.error])
        #expect(refused.first?.message.contains("\"cancelled\"") == true)
    }

    @Test func aRequestRegexIsSampledAgainstThePatternAndFormat() throws {
        // A uuid rule where the document wants a uuid: every sample fits.
        let document = ordersDocument.replacingOccurrences(of: #""note": {"type": ["string", "null"], "maxLength": 200}"#,
                                                           with: #""note": {"type": "string", "format": "uuid"}, "code": {"type": "string", "pattern": "^[A-Z]{3}$"}"#)
        func request(_ field: String, _ value: String, _ regex: String) -> String {
            String(placeOrder.dropLast(2)) + #", "\#(field)": "\#(value)"}, "matchingRules": {"body": {"$.\#(field)": {"matchers": [{"match": "regex", "regex": "\#(regex)"}]}}}}"#
        }
        #expect(try problems(pact(request: request("note", "6f1c2a4e-8b1d-4c3e-9f7a-2d5b8c9e0f11", "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), response: placed),
                             document: document) == [])
        // Any hex string is not a uuid; lower-case letters are not the three capitals the pattern wants.
        let notUUID = try problems(pact(request: request("note", "6f1c2a4e-8b1d-4c3e-9f7a-2d5b8c9e0f11", "[0-9a-f-]+"), response: placed), document: document)
        #expect(notUUID.count == 1, "\(notUUID)")
        #expect(notUUID.first?.documentPlace.hasSuffix("/properties/note/format)") == true)
        #expect(notUUID.first?.message.hasPrefix("the consumer's regex '[0-9a-f-]+' admits '") == true, "\(notUUID)")
        let lower = try problems(pact(request: request("code", "ABC", "[A-Za-z]{3}"), response: placed), document: document)
        #expect(lower.map(\.severity) == [.error], "\(lower)")
        #expect(lower.first?.documentPlace.hasSuffix("/properties/code/pattern)") == true)
        // The same findings every run: the samples come from a fixed seed.
        #expect(try problems(pact(request: request("code", "ABC", "[A-Za-z]{3}"), response: placed), document: document) == lower)
        #expect(try problems(pact(request: request("code", "ABC", "[A-C]{3}"), response: placed), document: document) == [])
    }

    @Test func eachLikeMinimumsMeetMinItems() throws {
        let noneAllowed = placeOrder.dropLast() + #", "matchingRules": {"body": {"$.items": {"matchers": [{"match": "type", "min": 0}]}}}}"#
        let found = try problems(pact(request: String(noneAllowed), response: placed))
        let errors = found.filter { $0.severity == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.pactPath == "$.interactions[0].request.body.items")
        #expect(errors.first?.documentPlace.hasSuffix("/properties/items/minItems)") == true)
        // The rule passes to the items: any number may be sent where the document wants integers of at least 1.
        #expect(found.filter { $0.severity == .warning }.map(\.pactPath).sorted()
                == ["$.interactions[0].request.body.items[0].product_id", "$.interactions[0].request.body.items[0].quantity",
                    "$.interactions[0].request.body.items[0].quantity"])
        let oneAtLeast = placeOrder.dropLast() + #", "matchingRules": {"body": {"$.items": {"matchers": [{"match": "type", "min": 1}]}}}}"#
        #expect(try problems(pact(request: String(oneAtLeast), response: placed)).filter { $0.severity == .error } == [])
    }

    @Test func theBodyAndItsMediaTypeMustBeDocumented() throws {
        let text = #"{"method": "POST", "path": "/api/v1/orders", "headers": {"Content-Type": "text/plain"}, "body": "two of 42"}"#
        let found = try problems(pact(request: text, response: placed))
        #expect(found.map(\.pactPath) == ["$.interactions[0].request.body"])
        #expect(found.first?.documentPlace == "#/paths/~1api~1v1~1orders/post/requestBody/content")
        let noBody = try problems(pact(request: #"{"method": "POST", "path": "/api/v1/orders"}"#, response: placed))
        #expect(noBody.first?.documentPlace == "#/paths/~1api~1v1~1orders/post/requestBody/required")
        let bodyOn204 = try problems(pact(request: #"{"method": "DELETE", "path": "/api/v1/orders/7"}"#, response: #"{"status": 204, "body": {"id": 7}}"#))
        #expect(bodyOn204.map(\.pactPath) == ["$.interactions[0].response.body"])
    }

    @Test func queryParametersAreTypedRepeatedAndJSONByContent() throws {
        let document = ordersDocument.replacingOccurrences(of: ##"{"in": "query", "name": "status", "schema": {"$ref": "#/components/schemas/Status"}}"##, with: ##"""
            {"in": "query", "name": "status", "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Status"}}},
            {"in": "query", "name": "filter", "content": {"application/json": {"schema": {"type": "object", "properties": {"min": {"type": "integer"}}}}}}
            """##)
        func query(_ text: String) throws -> [CompatibilityProblem] {
            try problems(pact(request: #"{"method": "GET", "path": "/api/v1/orders", "query": \#(text)}"#, response: #"{"status": 200}"#), document: document)
        }
        #expect(try query(#"{"limit": ["5"], "status": ["pending", "cancelled"], "filter": ["{\"min\": 2}"]}"#) == [])
        let wrong = try query(#"{"limit": ["five"], "status": ["pending", "lost"], "filter": ["{\"min\": \"two\"}"]}"#)
        #expect(Set(wrong.map(\.pactPath)) == ["$.interactions[0].request.query.limit", "$.interactions[0].request.query.status[1]",
                                               "$.interactions[0].request.query.filter.min"])
        let twice = try query(#"{"limit": ["5", "6"]}"#)
        #expect(twice.first?.message == "given 2 times; the document takes one value")
        let extra = try query(#"{"limit": ["5"], "colour": ["red"]}"#)
        #expect(extra.map(\.severity) == [.warning])
    }

    @Test func serverBasePathsArePartOfThePath() throws {
        let withServer = ordersDocument.replacingOccurrences(of: #""paths": {"#, with: #""servers": [{"url": "https://shop.example/shop"}], "paths": {"#)
        #expect(try problems(pact(request: placeOrder.replacingOccurrences(of: "/api/v1", with: "/shop/api/v1"), response: placed), document: withServer) == [])
        let outside = try problems(pact(request: placeOrder, response: placed), document: withServer)
        #expect(outside.first?.documentPlace == "#/servers")
    }
}

@Suite struct OpenAPIDocumentTests {
    /// OpenAPI 3.0: nullable, exclusive bounds as booleans, allOf/oneOf/anyOf over $refs, read from YAML.
    static let yaml = """
        openapi: 3.0.3
        info: {title: pets, version: "1"}
        paths:
          /pets/{id}:
            get:
              parameters:
                - {in: path, name: id, required: true, schema: {type: string, format: uuid}}
              responses:
                '200':
                  description: a pet
                  content:
                    application/json:
                      schema:
                        allOf:
                          - $ref: '#/components/schemas/Named'
                          - type: object
                            properties:
                              kind: {$ref: '#/components/schemas/Kind'}
                              weight: {type: number, minimum: 0, exclusiveMinimum: true}
                              owner: {type: string, nullable: true}
                              tag:
                                anyOf:
                                  - {type: string, maxLength: 3}
                                  - {type: integer}
        components:
          schemas:
            Named:
              type: object
              required: [name]
              properties:
                name: {type: string}
            Kind:
              oneOf:
                - {type: string, enum: [cat]}
                - {type: string, enum: [dog]}
        """

    func check(_ body: String) throws -> [CompatibilityProblem] {
        try problems(pact(request: #"{"method": "GET", "path": "/pets/6f1c2a4e-8b1d-4c3e-9f7a-2d5b8c9e0f11"}"#, response: #"{"status": 200, "body": \#(body)}"#), document: Self.yaml)
    }

    @Test func openAPI30KeywordsReadFromYAML() throws {
        #expect(try check(#"{"name": "Rex", "kind": "dog", "weight": 12.5, "owner": null, "tag": 7}"#).filter { $0.severity == .error } == [])
        let wrong = try check(#"{"name": 5, "kind": "cow", "weight": 0, "owner": null, "tag": "long"}"#).filter { $0.severity == .error }
        #expect(Set(wrong.map(\.pactPath)) == ["$.interactions[0].response.body.name", "$.interactions[0].response.body.kind",
                                               "$.interactions[0].response.body.weight", "$.interactions[0].response.body.tag"])
        #expect(wrong.contains { $0.documentPlace.contains("written at #/components/schemas/Named/properties/name/type") })
        #expect(wrong.contains { $0.message.contains("matches none of the 2 schemas of oneOf") })
        #expect(wrong.contains { $0.message.contains("exclusive minimum") })
        // A path parameter in the wrong format.
        let badID = try problems(pact(request: #"{"method": "GET", "path": "/pets/42"}"#, response: #"{"status": 200}"#), document: Self.yaml)
        #expect(badID.map(\.documentPlace) == ["#/paths/~1pets~1{id}/get/parameters/0/schema/format"])
    }

    @Test func schemasWhoseRefsGoRoundAreAnErrorNotAHang() throws {
        let looping = #"""
            {"openapi": "3.1.0", "paths": {"/pets/{id}": {"get": {"responses": {"200": {"description": "x",
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}}},
             "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"allOf": [{"$ref": "#/components/schemas/A"}]},
                                        "Tree": {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/Tree"}}}}}}
            """#
        let found = try problems(pact(request: #"{"method": "GET", "path": "/pets/1"}"#, response: #"{"status": 200, "body": {"name": "Rex"}}"#), document: looping)
        #expect(found.map(\.documentPlace) == ["#/paths/~1pets~1{id}/get/responses/200/content/application~1json/schema/allOf/0/$ref (written at #/components/schemas/B/allOf/0/$ref)"])
        #expect(found.first?.message.contains("leads back to itself") == true)
        // A schema that refers to itself one level down is fine: the value ends.
        let tree = looping.replacingOccurrences(of: ##""schema": {"$ref": "#/components/schemas/A"}"##, with: ##""schema": {"$ref": "#/components/schemas/Tree"}"##)
        let nested = try problems(pact(request: #"{"method": "GET", "path": "/pets/1"}"#, response: #"{"status": 200, "body": {"child": {"child": {"child": {}}}}}"#), document: tree)
        #expect(nested.filter { $0.severity == .error } == [])
    }

    @Test func unreadableDocumentsNameThePlace() {
        func error(_ text: String) -> OpenAPIDocumentError? {
            do { _ = try OpenAPIDocument(bytes: Array(text.utf8), source: "api.yaml"); return nil } catch { return error as? OpenAPIDocumentError }
        }
        #expect(error("openapi: 3.1.0\npaths: {\n  /a: [")?.place.hasPrefix("line ") == true)
        #expect(error(##"{"openapi": "3.1.0", "paths": {"/a": {"get": {"responses": {"200": {"$ref": "#/components/responses/Missing"}}}}}}"##)?.place
                == "#/paths/~1a/get/responses/200/$ref")
        #expect(error(#"{"openapi": "3.1.0", "paths": {"/a": {"get": {"responses": {"200": {"$ref": "other.yaml#/x"}}}}}}"#)?.reason.contains("outside this document") == true)
        #expect(error(#"{"swagger": "2.0", "paths": {}}"#)?.reason.contains("Swagger 2.0") == true)
        #expect(error(##"{"openapi": "4.0.0", "paths": {}}"##)?.place == "#/openapi")
        #expect(error(##"{"openapi": "3.1.0"}"##)?.place == "#/paths")
        #expect(error(##"{"openapi": "3.1.0", "paths": {"/a": {"parameters": [{"name": "x"}]}}}"##)?.place == "#/paths/~1a/parameters/0")
        #expect(error("{\"openapi\": \"3.1.0\",") != nil)
    }
}

@Suite struct ShippedContractsTests {
    /// Every HTTP interaction of every shipped pact, against its provider's shipped document.
    @Test func everyShippedPactFitsItsProvidersDocument() throws {
        let contracts = repositoryRoot.appendingPathComponent("contracts")
        let files = try FileManager.default.contentsOfDirectory(atPath: contracts.path).filter { $0.hasSuffix(".json") }.map { "contracts/" + $0 }
            + ["contracts/pact-python/python-storefront-catalog-service.json"]
        var checked = 0
        for file in files {
            let pact = try Pact(contentsOf: repositoryRoot.appendingPathComponent(file))
            let documentFile = repositoryRoot.appendingPathComponent("contracts/openapi/\(pact.provider).json")
            guard pact.interactions.contains(where: { if case .http = $0.kind { return true } else { return false } }) else { continue }
            let document = try OpenAPIDocument(bytes: Array(try Data(contentsOf: documentFile)), source: documentFile.lastPathComponent)
            let compatibility = OpenAPICompatibility(document: document)
            for (index, interaction) in pact.interactions.enumerated() {
                guard let found = try compatibility.check(interaction, index: index) else { continue }
                checked += 1
                #expect(found.operation != nil, "\(file) \(interaction.description)")
                #expect(found.errors.isEmpty, "\(file) \(interaction.description): \(found.errors)")
            }
        }
        // Every HTTP interaction in contracts/ (the pact-python one included).
        #expect(checked == 21)
    }

    /// The pact pact-python writes (as the project's own consumer does), against the catalog's document.
    @Test func thePactPythonPactFitsTheCatalogDocument() throws {
        let pact = try Pact(contentsOf: repositoryRoot.appendingPathComponent("contracts/pact-python/python-storefront-catalog-service.json"))
        let documentFile = repositoryRoot.appendingPathComponent("contracts/openapi/catalog-service.json")
        let compatibility = OpenAPICompatibility(document: try OpenAPIDocument(bytes: Array(try Data(contentsOf: documentFile)), source: "catalog-service.json"))
        let results = try pact.interactions.enumerated().compactMap { try compatibility.check($1, index: $0) }
        #expect(results.count == pact.interactions.count)
        #expect(results.allSatisfy { $0.errors.isEmpty }, "\(results.flatMap(\.errors))")
        #expect(results.compactMap(\.operation) == ["GET /api/v1/products/{id}", "GET /api/v1/products"])
    }
}
