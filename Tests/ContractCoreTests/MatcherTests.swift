@testable import ContractCore
import Testing

/// Each matcher beyond the specification's cases, including the edges.
@Suite struct MatcherTests {
    @Test func eachLikeWithMinAcceptsAnyLengthAtOrAboveMin() throws {
        let rules: [String: JSONValue] = ["$.items": ["match": "type", "min": 1]]
        let expected: JSONValue = ["items": [["id": 1, "name": "a"]]]
        #expect(try matchBody(expected, ["items": [["id": 7, "name": "x"], ["id": 8, "name": "y"]]], rules: rules).isEmpty)
        let tooFew = try matchBody(expected, ["items": []], rules: rules)
        #expect(tooFew.map(\.path) == ["$.items"])
        #expect(tooFew.first?.message.contains("at least 1") == true)
    }

    @Test func emptyArrayIsFineWithMinZero() throws {
        let rules: [String: JSONValue] = ["$.items": ["match": "type", "min": 0]]
        #expect(try matchBody(["items": [["id": 1]]], ["items": []], rules: rules).isEmpty)
    }

    @Test func eachLikeReportsTheFailingElementPath() throws {
        let rules: [String: JSONValue] = ["$.items": ["match": "type", "min": 1]]
        let mismatches = try matchBody(["items": [["price": 1.5]]], ["items": [["price": 2.5], ["price": "free"]]], rules: rules)
        #expect(mismatches.map(\.path) == ["$.items[1].price"])
        #expect(mismatches[0].message.contains("same type"))
    }

    @Test func nestedEachLikeChecksInnerArraysToo() throws {
        let rules: [String: JSONValue] = [
            "$.orders": ["match": "type", "min": 1],
            "$.orders[*].lines": ["match": "type", "min": 1],
        ]
        let expected: JSONValue = ["orders": [["id": "o1", "lines": [["sku": "a", "qty": 1]]]]]
        let good: JSONValue = ["orders": [["id": "o2", "lines": [["sku": "b", "qty": 2], ["sku": "c", "qty": 3]]]]]
        #expect(try matchBody(expected, good, rules: rules).isEmpty)
        let bad: JSONValue = ["orders": [["id": "o2", "lines": []], ["id": "o3", "lines": [["sku": "c", "qty": "3"]]]]]
        #expect(try matchBody(expected, bad, rules: rules).map(\.path) == ["$.orders[0].lines", "$.orders[1].lines[0].qty"])
    }

    @Test func maxAndMinMax() throws {
        let max: [String: JSONValue] = ["$": ["match": "type", "max": 2]]
        #expect(try matchBody([1], [1, 2], rules: max).isEmpty)
        #expect(try matchBody([1], [1, 2, 3], rules: max).count == 1)
        let minMax: [String: JSONValue] = ["$": ["match": "type", "min": 2, "max": 3]]
        #expect(try matchBody([1], [1], rules: minMax).count == 1)
        #expect(try matchBody([1], [1, 2, 3], rules: minMax).isEmpty)
    }

    @Test func integerDecimalAndNumberTellJSONNumbersApart() throws {
        #expect(try matchBody(["n": 1], ["n": 42], rules: ["$.n": ["match": "integer"]]).isEmpty)
        #expect(try matchBody(["n": 1], ["n": 4.2], rules: ["$.n": ["match": "integer"]]).count == 1)
        #expect(try matchBody(["n": 1.5], ["n": 9.99], rules: ["$.n": ["match": "decimal"]]).isEmpty)
        #expect(try matchBody(["n": 1.5], ["n": 10], rules: ["$.n": ["match": "decimal"]]).count == 1)
        #expect(try matchBody(["n": 1], ["n": 1e3], rules: ["$.n": ["match": "number"]]).isEmpty)
        #expect(try matchBody(["n": 1], ["n": "1"], rules: ["$.n": ["match": "number"]]).count == 1)
        // Parsed from text: 1.0 is a decimal, 1 an integer.
        let decimal = try JSONParser.parse(#"{"n": 1.0}"#)
        #expect(try matchBody(["n": 2.5], decimal, rules: ["$.n": ["match": "decimal"]]).isEmpty)
    }

    @Test func regexMatchesTheWholeValueAndNumbersAsText() throws {
        let rules: [String: JSONValue] = ["$.id": ["match": "regex", "regex": "\\d+"]]
        #expect(try matchBody(["id": "1"], ["id": "12345"], rules: rules).isEmpty)
        #expect(try matchBody(["id": "1"], ["id": "12a45"], rules: rules).count == 1)
        #expect(try matchBody(["id": 1], ["id": 987], rules: rules).isEmpty)
    }

    @Test func regexOnHeaderParameters() throws {
        var expected = HTTPResponse(status: 200, headers: Headers([("Content-Type", "application/json; charset=utf-8")]))
        expected.matchingRules.headers = [("Content-Type", RuleList([.regex("application/json;\\s*charset=(utf|UTF)-8")]))]
        let ok = HTTPResponse(status: 200, headers: Headers([("content-type", "application/json;charset=UTF-8")]))
        #expect(ContractMatcher.match(expected: expected, actual: ok).matched)
        let bad = HTTPResponse(status: 200, headers: Headers([("Content-Type", "application/json; charset=latin1")]))
        let result = ContractMatcher.match(expected: expected, actual: bad)
        #expect(result.mismatches.map(\.path) == ["header 'Content-Type'"])
    }

    @Test func timestampsWithZonesAndFormats() throws {
        let iso: [String: JSONValue] = ["$.at": ["match": "timestamp", "format": "yyyy-MM-dd'T'HH:mm:ssXXX"]]
        #expect(try matchBody(["at": "x"], ["at": "2026-11-25T12:00:00+01:00"], rules: iso).isEmpty)
        #expect(try matchBody(["at": "x"], ["at": "2026-11-25T12:00:00Z"], rules: iso).isEmpty)
        #expect(try matchBody(["at": "x"], ["at": "2026-11-25 12:00:00"], rules: iso).count == 1)
        #expect(try matchBody(["at": "x"], ["at": "2026-02-30T12:00:00Z"], rules: iso).count == 1)
        let rfc822: [String: JSONValue] = ["$.at": ["match": "timestamp", "timestamp": "EEE, dd MMM yyyy HH:mm:ss Z"]]
        #expect(try matchBody(["at": "x"], ["at": "Wed, 25 Nov 2026 12:00:00 +0000"], rules: rfc822).isEmpty)
        let noFormat: [String: JSONValue] = ["$.at": ["match": "timestamp"]]
        #expect(try matchBody(["at": "x"], ["at": "2026-11-25T12:00:00.123Z"], rules: noFormat).isEmpty)
        #expect(try matchBody(["at": "x"], ["at": "yesterday"], rules: noFormat).count == 1)
    }

    @Test func dateAndTime() throws {
        #expect(try matchBody(["d": ""], ["d": "2024-02-29"], rules: ["$.d": ["match": "date", "format": "yyyy-MM-dd"]]).isEmpty)
        #expect(try matchBody(["d": ""], ["d": "2023-02-29"], rules: ["$.d": ["match": "date", "format": "yyyy-MM-dd"]]).count == 1)
        #expect(try matchBody(["t": ""], ["t": "23:59:01"], rules: ["$.t": ["match": "time", "format": "HH:mm:ss"]]).isEmpty)
        #expect(try matchBody(["t": ""], ["t": "24:61:01"], rules: ["$.t": ["match": "time", "format": "HH:mm:ss"]]).count == 1)
        #expect(try matchBody(["t": ""], ["t": "11:05 PM"], rules: ["$.t": ["match": "time", "format": "hh:mm a"]]).isEmpty)
    }

    @Test func includeNullBooleanNotEmptySemver() throws {
        #expect(try matchBody(["s": ""], ["s": "hello world"], rules: ["$.s": ["match": "include", "value": "lo w"]]).isEmpty)
        #expect(try matchBody(["s": ""], ["s": "hello"], rules: ["$.s": ["match": "include", "value": "xyz"]]).count == 1)
        #expect(try matchBody(["n": nil], ["n": nil], rules: ["$.n": ["match": "null"]]).isEmpty)
        #expect(try matchBody(["n": nil], ["n": 0], rules: ["$.n": ["match": "null"]]).count == 1)
        #expect(try matchBody(["b": true], ["b": false], rules: ["$.b": ["match": "boolean"]]).isEmpty)
        #expect(try matchBody(["b": true], ["b": "false"], rules: ["$.b": ["match": "boolean"]]).count == 1)
        #expect(try matchBody(["s": "x"], ["s": ""], rules: ["$.s": ["match": "notEmpty"]]).count == 1)
        #expect(try matchBody(["a": [1]], ["a": []], rules: ["$.a": ["match": "notEmpty"]]).count == 1)
        #expect(try matchBody(["a": [1]], ["a": [5, 6]], rules: ["$.a": ["match": "notEmpty"]]).isEmpty)
        #expect(try matchBody(["v": "1.0.0"], ["v": "2.10.3-beta.1+build.5"], rules: ["$.v": ["match": "semver"]]).isEmpty)
        #expect(try matchBody(["v": "1.0.0"], ["v": "2.10"], rules: ["$.v": ["match": "semver"]]).count == 1)
    }

    @Test func valuesAndEachKeyEachValueOnMaps() throws {
        let expected: JSONValue = ["prices": ["sku-1": 10]]
        let actual: JSONValue = ["prices": ["sku-9": 12, "sku-7": 3]]
        #expect(try matchBody(expected, actual, rules: ["$.prices": ["match": "values"]], request: true).isEmpty)
        let eachKey: [String: JSONValue] = ["$.prices": ["match": "eachKey", "rules": [["match": "regex", "regex": "sku-\\d+"]]]]
        #expect(try matchBody(expected, ["prices": ["sku-1": 10]], rules: eachKey).isEmpty)
        #expect(try matchBody(expected, ["prices": ["sku-1": 10, "bogus": 1]], rules: eachKey).map(\.path) == ["$.prices.bogus"])
        let eachValue: [String: JSONValue] = ["$.prices": ["match": "eachValue", "rules": [["match": "integer"]]]]
        #expect(try matchBody(expected, actual, rules: eachValue).isEmpty)
        #expect(try matchBody(expected, ["prices": ["a": 1.5]], rules: eachValue).map(\.path) == ["$.prices.a"])
    }

    @Test func arrayContainsFindsEachVariantAnywhere() throws {
        let rules: [String: JSONValue] = ["$.events": [
            "match": "arrayContains",
            "variants": [
                ["index": 0, "rules": ["$.id": ["matchers": [["match": "integer"]]]]],
                ["index": 1, "rules": [:]],
            ],
        ]]
        let expected: JSONValue = ["events": [["id": 1, "type": "created"], ["type": "paid"]]]
        #expect(try matchBody(expected, ["events": [["type": "paid"], ["id": 99, "type": "created"], ["type": "other"]]], rules: rules).isEmpty)
        let missing = try matchBody(expected, ["events": [["id": 99, "type": "created"]]], rules: rules)
        #expect(missing.count == 1 && missing[0].message.contains("variant 1"))
    }

    @Test func combineOrPassesWhenOneRulePasses() throws {
        let rules: [String: JSONValue] = ["$.v": ["matchers": [["match": "integer"], ["match": "null"]], "combine": "OR"]]
        #expect(try matchBody(["v": 1], ["v": nil], rules: rules).isEmpty)
        #expect(try matchBody(["v": 1], ["v": 3], rules: rules).isEmpty)
        #expect(try matchBody(["v": 1], ["v": "3"], rules: rules).count == 1)
    }

    @Test func statusCodeClasses() throws {
        var expected = HTTPResponse(status: 200)
        expected.matchingRules.status = RuleList([.statusCode(.success)])
        #expect(ContractMatcher.match(expected: expected, actual: HTTPResponse(status: 204)).matched)
        #expect(!ContractMatcher.match(expected: expected, actual: HTTPResponse(status: 302)).matched)
        expected.matchingRules.status = RuleList([.statusCode(.codes([200, 201]))])
        #expect(ContractMatcher.match(expected: expected, actual: HTTPResponse(status: 201)).matched)
    }

    @Test func contentTypeMatcherSniffsTheBody() throws {
        var expected = HTTPResponse(status: 200, headers: Headers([("Content-Type", "image/png")]), body: .binary([0x89, 0x50, 0x4E, 0x47, 1]))
        expected.matchingRules.body = BodyRules([(try PathExpression("$"), RuleList([.contentType("image/png")]))])
        let png = HTTPResponse(status: 200, headers: Headers([("Content-Type", "image/png")]), body: .binary([0x89, 0x50, 0x4E, 0x47, 9, 9]))
        #expect(ContractMatcher.match(expected: expected, actual: png).matched)
        let jpeg = HTTPResponse(status: 200, headers: Headers([("Content-Type", "image/png")]), body: .binary([0xFF, 0xD8, 0xFF, 0]))
        #expect(!ContractMatcher.match(expected: expected, actual: jpeg).matched)
    }

    @Test func requestsRejectUnexpectedKeysResponsesAllowThem() throws {
        #expect(try matchBody(["a": 1], ["a": 1, "b": 2], request: true).map(\.path) == ["$.b"])
        #expect(try matchBody(["a": 1], ["a": 1, "b": 2], request: false).isEmpty)
    }

    @Test func queryWithRepeatedKeys() {
        let expected = HTTPRequest(method: "GET", path: "/p", query: Query(parsing: "tag=a&tag=b&page=1"))
        #expect(ContractMatcher.match(expected: expected, actual: HTTPRequest(method: "GET", path: "/p", query: Query(parsing: "page=1&tag=a&tag=b"))).matched)
        let wrongOrder = ContractMatcher.match(expected: expected, actual: HTTPRequest(method: "GET", path: "/p", query: Query(parsing: "tag=b&tag=a&page=1")))
        #expect(wrongOrder.mismatches.map(\.path) == ["query 'tag'"])
        let extra = ContractMatcher.match(expected: expected, actual: HTTPRequest(method: "GET", path: "/p", query: Query(parsing: "tag=a&tag=b&page=1&debug=1")))
        #expect(extra.mismatches.map(\.path) == ["query 'debug'"])
    }

    @Test func messagesMatchContentsAndMetadata() throws {
        var expected = Message(contents: .json(["order_id": "o-1", "total": 10.5]), metadata: ["topic": "order.created", "event_version": "1"])
        expected.matchingRules.body = BodyRules([
            (try PathExpression("$.order_id"), RuleList([.regex("o-\\d+")])),
            (try PathExpression("$.total"), RuleList([.decimal])),
        ])
        let actual = Message(contents: .json(["order_id": "o-77", "total": 3.25, "extra": true]), metadata: ["topic": "order.created", "event_version": "1"])
        #expect(ContractMatcher.match(expected: expected, actual: actual).matched)
        let wrongTopic = Message(contents: actual.contents, metadata: ["topic": "order.cancelled", "event_version": "1"])
        #expect(ContractMatcher.match(expected: expected, actual: wrongTopic).mismatches.map(\.path) == ["metadata 'topic'"])
    }
}

@Suite struct NonUTF8BodyTests {
    @Test func bytesThatAreNotUTF8NeverPassAsText() throws {
        var rules = BodyRules()
        rules.add(try PathExpression("$"), try RuleDecoder.ruleList(["match": "regex", "regex": ".*"], at: "$"))
        let type = try #require(ContentType("text/plain"))
        let actual = Body.received([0xFF, 0xFE, 0x41], contentType: type)
        let mismatches = BodyMatcher.match(expected: .text("hello"), expectedType: type, actual: actual, actualType: type,
                                           rules: rules, allowUnexpectedKeys: true)
        #expect(mismatches.map(\.path) == ["$"])
        #expect(mismatches.first?.message.contains("not valid UTF-8") == true)
        let json = try #require(ContentType("application/json"))
        let notJSON = BodyMatcher.match(expected: .json(["a": 1]), expectedType: json, actual: Body.received([0x7B, 0xC3, 0x28, 0x7D], contentType: json),
                                        actualType: json, rules: BodyRules(), allowUnexpectedKeys: true)
        #expect(notJSON.first?.message.contains("not valid UTF-8") == true)
        // Valid UTF-8 still goes through the rules as before.
        #expect(BodyMatcher.match(expected: .text("hello"), expectedType: type, actual: Body.received(Array("héllo".utf8), contentType: type),
                                  actualType: type, rules: rules, allowUnexpectedKeys: true).isEmpty)
    }
}

@Suite struct RegexLimitTests {
    @Test func aPactRegexLongerThanTheLimitIsAnErrorWhenThePactLoads() throws {
        let long = String(repeating: "a", count: RegexCache.maximumPatternLength + 1)
        let error = #expect(throws: PactError.self) { try RuleDecoder.ruleList(["match": "regex", "regex": .string(long)], at: "$.body.name") }
        #expect(error?.path == "$.body.name.regex")
        #expect(error?.reason.contains("longer than 4096 bytes") == true)
        #expect(try RuleDecoder.ruleList(["match": "regex", "regex": "^[a-z]+$"], at: "$.body.name").rules.count == 1)
    }
}
