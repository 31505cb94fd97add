import ContractCore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Reports
import Testing
@testable import Verifier

@Suite struct ReportWriterTests {
    @Test func markupEscapesTheFiveCharactersAndDropsWhatXMLCannotHold() {
        #expect(Markup.escape(#"<a href="x">Tom & 'Jerry'</a>"#) == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;")
        #expect(Markup.escape("bell\u{7} nul\u{0} line\nbreak") == "bell  nul  line\nbreak")
    }

    @Test func junitCountsEveryOutcomeAndParsesAsXML() throws {
        let report = JUnitReport(name: "tollgate <verify>", suites: [
            JUnitReport.TestSuite(name: "web-app → catalog", cases: [
                .init(className: "web-app.catalog", name: "ok", seconds: 0.25, result: .passed),
                .init(className: "web-app.catalog", name: "price \"missing\"", seconds: 0.5, result: .failed(message: "1 mismatch(es)", details: "$.price & more")),
                .init(className: "web-app.catalog", name: "boom", seconds: 0, result: .error(message: "no answer")),
                .init(className: "web-app.catalog", name: "later", seconds: 0, result: .skipped(message: "pending")),
            ]),
        ])
        let xml = report.xml()
        #expect(xml.contains(#"tests="4" failures="1" errors="1" skipped="1""#))
        #expect(xml.contains("price &quot;missing&quot;"))
        #expect(xml.contains("$.price &amp; more"))
        let parser = XMLParser(data: Data(xml.utf8))
        #expect(parser.parse(), "well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")")
    }

    @Test func anHTMLPageIsSelfContainedAndEscapesWhatItShows() {
        let page = HTMLPage(title: "Contract <verification>", tiles: [("failed", "1", true)], sections: [
            HTMLPage.Section(title: "web-app → catalog", columns: ["interaction", "result"], rows: [
                HTMLPage.Row(cells: ["<script>alert(1)</script>", "✗ failed"], bad: true, details: ["$.price: Expected key 'price'"]),
            ]),
        ]).html()
        #expect(page.hasPrefix("<!doctype html>") || page.lowercased().hasPrefix("<!doctype html>"))
        #expect(!page.contains("<script"), "no script, and none injected from a pact")
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("Expected key &#39;price&#39;"))
        #expect(!page.contains("http://") && !page.contains("https://"), "opens offline")
    }

    @Test func reportFilesCreateTheirFolderAndNameTheFileWhenTheyCannot() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-reports-\(UUID())/nested")
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try ReportFile.writeJSON(.object(JSONObject([("schema", .string("x/v1"))])), to: folder.appendingPathComponent("r.json").path)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("r.json").path))
        let error = #expect(throws: ReportWriteError.self) { try ReportFile.write("x", to: "/proc/tollgate/cannot/r.json") }
        #expect(error?.description.contains("/proc/tollgate/cannot/r.json") == true)
    }

    @Test func theVerificationJSONCountsOutcomesAndSaysWhyARunCouldNotBeDone() throws {
        func result(_ description: String, _ outcome: InteractionOutcome, pending: Bool = false) -> InteractionResult {
            InteractionResult(consumer: "web-app", provider: "catalog-service", source: "contracts/x.json", description: description,
                              providerStates: [], kind: "http", pending: pending, outcome: outcome, duration: 0.0125, target: "GET /")
        }
        var report = VerificationReport()
        report.results = [result("ok", .passed),
                          result("wrong", .failed([Mismatch(kind: .body, path: "$.price", expected: "1", actual: String(repeating: "x", count: 10_000), message: "differs")])),
                          result("later", .error("no answer"), pending: true)]
        guard case .object(let document) = VerificationJSON.document(report, error: nil) else { Issue.record("not an object"); return }
        #expect(document["schema"] == "tollgate.verification/v1")
        #expect(document["result"] == "failed")
        #expect(document["summary"]?["passed"] == .integer(1))
        #expect(document["summary"]?["failed"] == .integer(1))
        #expect(document["summary"]?["pending_failed"] == .integer(1))
        #expect(JSONWriter.compact(.object(document)).utf8.count < 5_000, "a 10,000-character value is quoted short")
        guard case .object(let errored) = VerificationJSON.document(VerificationReport(), error: "the pact is broken") else { return }
        #expect(errored["result"] == "error")
        #expect(errored["error"] == "the pact is broken")
    }
}
