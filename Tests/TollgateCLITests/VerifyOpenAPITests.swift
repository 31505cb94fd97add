import Foundation
import TestSupport
import Testing

/// `tollgate verify --openapi`: pacts checked against a provider's document, nothing replayed.
@Suite struct VerifyOpenAPITests {
    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-openapi-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func theShippedPactsPassAgainstTheShippedDocumentsWithReports() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("v.json"), junit = dir.appendingPathComponent("v.xml"), html = dir.appendingPathComponent("v.html")
        let result = try await runTollgate(["verify", "contracts", "--provider", "catalog-service", "--openapi", "contracts/openapi/catalog-service.json",
                                            "--json", json.path, "--junit", junit.path, "--html", html.path])
        #expect(result.status == 0, "\(result.out)\(result.err)")
        #expect(result.out.contains("✓ Verified against contracts/openapi/catalog-service.json: 8 interaction(s)"), "\(result.out)")
        #expect(result.out.contains("GET /api/v1/products/{id} in contracts/openapi/catalog-service.json"))
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any]
        #expect(document?["result"] as? String == "passed")
        let pacts = document?["pacts"] as? [[String: Any]] ?? []
        #expect(pacts.flatMap { $0["interactions"] as? [[String: Any]] ?? [] }.allSatisfy { $0["type"] as? String == "openapi" })
        #expect(try String(contentsOf: junit, encoding: .utf8).contains(#"failures="0""#))
        #expect(try String(contentsOf: html, encoding: .utf8).contains("Contract verification"))
    }

    @Test func anIncompatiblePactFailsWithBothPlacesInEveryReport() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The first charge's currency is not the three letters the document's pattern takes.
        var pact = try String(contentsOfFile: packageRoot.appendingPathComponent("contracts/order-service-payment-service.json").path, encoding: .utf8)
        let currency = try #require(pact.range(of: #""currency": "USD""#))
        pact.replaceSubrange(currency, with: #""currency": "US dollars""#)
        let broken = dir.appendingPathComponent("broken.json")
        try Data(pact.utf8).write(to: broken)
        let json = dir.appendingPathComponent("v.json"), junit = dir.appendingPathComponent("v.xml")
        let result = try await runTollgate(["verify", broken.path, "--openapi", "contracts/openapi/payment-service.json", "--json", json.path, "--junit", junit.path])
        #expect(result.status == 1, "\(result.out)\(result.err)")
        #expect(result.out.contains("$.interactions[0].request.body.currency"), "\(result.out)")
        #expect(result.out.contains("↔ #/paths/~1api~1v1~1payments~1process/post/requestBody/content/application~1json/schema/properties/currency/pattern"
                                    + " (written at #/components/schemas/Charge/properties/currency/pattern)"), "\(result.out)")
        #expect(result.out.contains("✗ Verification failed against contracts/openapi/payment-service.json"))
        let report = try String(contentsOf: json, encoding: .utf8)
        #expect(report.contains(#""document_path":"#))
        #expect(report.contains(#""result":"failed""#) || report.contains(#""result": "failed""#))
        #expect(try String(contentsOf: junit, encoding: .utf8).contains("↔ #/paths/~1api~1v1~1payments~1process/post"))
    }

    @Test func aDocumentServedOverHTTPIsRead() async throws {
        try await withStaticServer(serving: packageRoot.appendingPathComponent("contracts/openapi")) { port in
            let result = try await runTollgate(["verify", "contracts/order-service-user-service.json",
                                                "--openapi", "http://127.0.0.1:\(port)/user-service.json"])
            #expect(result.status == 0, "\(result.out)\(result.err)")
            #expect(result.out.contains("1 interaction(s), 1 passed"))
            let missing = try await runTollgate(["verify", "contracts/order-service-user-service.json", "--openapi", "http://127.0.0.1:\(port)/nothing.json"])
            #expect(missing.status == 2)
            #expect(missing.err.contains("nothing.json at #: fetching the document answered HTTP 404"))
        }
    }

    @Test func badInputIsExitTwoNamingThePlaceAndReportsAreStillWritten() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let document = dir.appendingPathComponent("api.yaml")
        try Data("openapi: 3.1.0\npaths:\n  /a:\n    get:\n      responses:\n        '200': {$ref: '#/components/responses/Gone'}\n".utf8).write(to: document)
        let junit = dir.appendingPathComponent("v.xml")
        let dangling = try await runTollgate(["verify", "contracts/order-service-user-service.json", "--openapi", document.path, "--junit", junit.path])
        #expect(dangling.status == 2)
        #expect(dangling.err.contains("api.yaml at #/paths/~1a/get/responses/200/$ref: the $ref '#/components/responses/Gone' leads nowhere"), "\(dangling.err)")
        #expect(try String(contentsOf: junit, encoding: .utf8).contains("<error"))

        let several = try await runTollgate(["verify", "contracts", "--openapi", "contracts/openapi/user-service.json"])
        #expect(several.status == 2)
        #expect(several.err.contains("say which one contracts/openapi/user-service.json describes with --provider"), "\(several.err)")

        let replaying = try await runTollgate(["verify", "contracts", "--openapi", "contracts/openapi/user-service.json", "--provider-base-url", "http://127.0.0.1:1"])
        #expect(replaying.status != 0)
        #expect(replaying.err.contains("--openapi checks the pacts against the document and calls no provider: drop --provider-base-url"))

        let messagesOnly = try await runTollgate(["verify", "contracts/catalog-service-order-service-messages.json", "--openapi", "contracts/openapi/order-service.json"])
        #expect(messagesOnly.status == 2)
        #expect(messagesOnly.err.contains("nothing to check: no HTTP interaction"))
    }
}

extension VerifyOpenAPITests {
    /// 4 KB of `anyOf` pairs 40 levels deep held `verify --openapi` for hours: now exit 2 naming
    /// the document, with the reports written.
    @Test func aDocumentTooCostlyToEvaluateIsExitTwoNamingIt() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var schemas = (0..<40).map { ##""L\##($0)": {"anyOf": [{"$ref": "#/components/schemas/L\##($0 + 1)"}, {"$ref": "#/components/schemas/L\##($0 + 1)"}]}"## }
        schemas.append(##""L40": {"type": "object"}"##)
        let document = dir.appendingPathComponent("doubling.json")
        try Data((##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/things": {"get": {"responses": {"200": {"description": "ok", "##
            + ##""content": {"application/json": {"schema": {"$ref": "#/components/schemas/L0"}}}}}}}}, "components": {"schemas": {"##
            + schemas.joined(separator: ", ") + "}}}").utf8).write(to: document)
        let pact = dir.appendingPathComponent("pact.json")
        try Data(##"{"consumer": {"name": "web"}, "provider": {"name": "things"}, "metadata": {"pactSpecification": {"version": "3.0.0"}}, "interactions": [{"description": "the things", "request": {"method": "GET", "path": "/things"}, "response": {"status": 200, "headers": {"Content-Type": "application/json"}, "body": {"a": 1}}}]}"##.utf8).write(to: pact)
        let json = dir.appendingPathComponent("v.json")
        let result = try await runTollgate(["verify", pact.path, "--openapi", document.path, "--json", json.path], limit: 120)
        #expect(result.status == 2, "\(result.err)")
        #expect(result.err.contains("doubling.json: checking $.interactions[0] (the things) took more than"), "\(result.err)")
        #expect(try String(contentsOf: json, encoding: .utf8).contains("too costly"))
    }
}

extension VerifyOpenAPITests {
    /// A consumer that needs a field the provider's document never describes passed with a warning
    /// (replaying the same pact fails); `--strict` makes it fail here too.
    @Test func strictFailsWhatTheDocumentLeavesOpen() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pact = dir.appendingPathComponent("needs-nickname.json")
        let text = try String(contentsOf: packageRoot.appendingPathComponent("contracts/order-service-user-service.json"), encoding: .utf8)
        try Data(text.replacingOccurrences(of: #""role": "customer"}"#, with: #""role": "customer", "nickname": "dee"}"#).utf8).write(to: pact)
        let lenient = try await runTollgate(["verify", pact.path, "--openapi", "contracts/openapi/user-service.json"])
        #expect(lenient.status == 0 && lenient.out.contains("nickname"), "\(lenient.out)\(lenient.err)")
        let strict = try await runTollgate(["verify", pact.path, "--openapi", "contracts/openapi/user-service.json", "--strict"])
        #expect(strict.status == 1 && strict.out.contains("nickname"), "\(strict.out)\(strict.err)")
        let misplaced = try await runTollgate(["verify", pact.path, "--provider-base-url", "http://127.0.0.1:9", "--strict"])
        #expect(misplaced.status == 2 && misplaced.err.contains("--strict is for --openapi"), "\(misplaced.err)")
    }
}
