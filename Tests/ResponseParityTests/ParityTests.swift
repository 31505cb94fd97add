import ContractCore
import Foundation
import ResponseParity
import Testing

struct JSONComparisonTests {
    private func json(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    @Test func numbersCompareByValueAndARenamedFieldDiffersAtBothPaths() throws {
        let baseline = try json(#"{"id": 7, "price": 10, "name": "Lamp", "tags": ["a", "b"]}"#)
        let candidate = try json(#"{"id": 7.0, "unit_price": 10, "name": "Lamp", "tags": ["b", "a"]}"#)
        let found = JSONComparison().differences(baseline, candidate)
        #expect(found.map(\.path) == ["$.price", "$.tags[*]", "$.tags[*]", "$.unit_price"], "\(found)")
        #expect(found[0].baseline == .integer(10) && found[0].candidate == nil && found.last?.baseline == nil)
        // Unordered arrays compare as multisets; ignored paths not at all.
        let relaxed = JSONComparison(ignored: ["$.unit_price", "$.price"], unordered: ["$.tags"]).differences(baseline, candidate)
        #expect(relaxed.isEmpty, "\(relaxed)")
    }

    @Test func elementsOfAnArrayShareOnePath() throws {
        let found = JSONComparison().differences(try json(#"{"items": [{"p": 1.5}, {"p": 2}]}"#), try json(#"{"items": [{"p": 1.5}, {"p": 2.01}]}"#))
        #expect(found.map(\.path) == ["$.items[*].p"])
    }

    @Test func endpointsAreGroupedByPattern() {
        #expect(EndpointPattern.of(method: "get", path: "/api/v1/products/7?x=1") == "GET /api/v1/products/{id}")
        #expect(EndpointPattern.of(method: "GET", path: "/orders/3f2a1c9e-0b7d-4c1e-9a8f-0123456789ab") == "GET /orders/{uuid}")
    }
}

struct ParityLedgerTests {
    @Test func noiseIsLearnedAndOnlyTheCandidatesOwnDifferencesCount() {
        var ledger = ParityLedger()
        let stamp = JSONDifference(path: "$.generated_at", baseline: .string("1"), candidate: .string("2"))
        let renamed = JSONDifference(path: "$.price", baseline: .integer(10), candidate: nil)
        for n in 0..<10 {
            // The baseline disagrees with itself on the timestamp; the candidate also on the price, every other request.
            ledger.record(endpoint: "GET /p/{id}", noise: [stamp], candidate: n % 2 == 0 ? [stamp, renamed] : [stamp])
        }
        ledger.failed(endpoint: "GET /p/{id}")
        let report = ledger.report(threshold: 1)
        let endpoint = report.endpoints[0]
        #expect(endpoint.requests == 10 && endpoint.differing == 5 && endpoint.failed == 1)
        #expect(endpoint.noise == ["$.generated_at"] && endpoint.differences.map(\.path) == ["$.price"])
        #expect(endpoint.differences[0].baseline == "10" && endpoint.differences[0].candidate == nil)
        #expect(!report.passed && report.worstDifferingPercent == 50)
    }

    @Test func memoryGrowsWithEndpointsNotRequests() {
        var ledger = ParityLedger()
        for n in 0..<(ParityLedger.maximumEndpoints + 10) { ledger.record(endpoint: "GET /e\(n)", noise: [], candidate: []) }
        #expect(ledger.report(threshold: 1).endpoints.count == ParityLedger.maximumEndpoints && ledger.overflow == 10)
    }
}

struct HARReaderTests {
    @Test func safeEntriesAreReadWithTheirHeadersAndWritesAreSkipped() throws {
        let har = #"""
        {"log": {"version": "1.2", "entries": [
          {"request": {"method": "GET", "url": "https://shop.example.com/api/v1/products/7?lang=en",
                       "headers": [{"name": "Authorization", "value": "Bearer secret"}, {"name": ":authority", "value": "shop"}, {"name": "Host", "value": "shop"}]}},
          {"request": {"method": "POST", "url": "https://shop.example.com/api/v1/orders", "headers": []}},
          {"request": {"method": "HEAD", "url": "http://shop.example.com/", "headers": []}}
        ]}}
        """#
        let (requests, skipped) = try HARReader.requests(Data(har.utf8), file: "shop.har")
        #expect(requests.map(\.path) == ["/api/v1/products/7?lang=en", "/"])
        #expect(requests[0].headers.map(\.name) == ["Authorization"], "credentials kept, pseudo-headers and Host dropped")
        #expect(skipped == ["shop.har: 1 POST request(s) not replayed (only GET and HEAD are sent twice)"])
        #expect(throws: HARReader.Problem.self) { try HARReader.requests(Data("not json".utf8), file: "x.har") }
        #expect(throws: HARReader.Problem.self) { try HARReader.requests(Data(#"{"log": {}}"#.utf8), file: "x.har") }
    }
}
