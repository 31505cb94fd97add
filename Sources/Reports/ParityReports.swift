import Foundation
import ResponseParity

extension ParityReport: JSONHTMLJUnitReport {
    /// What the command prints: one line per endpoint, its differing paths with a pair each, the noise learned.
    package func text() -> String {
        var lines: [String] = []
        for endpoint in endpoints {
            let bad = endpoint.differingPercent > threshold
            lines.append("  \(bad ? "✗" : "✓") \(endpoint.pattern): \(endpoint.differing) of \(endpoint.requests) differ (\(String(format: "%.2f", endpoint.differingPercent)) %)"
                         + (endpoint.failed > 0 ? ", \(endpoint.failed) unanswered" : ""))
            for difference in endpoint.differences.prefix(5) {
                lines.append("      \(difference.path) (\(difference.requests)×): baseline \(difference.baseline ?? "absent") → candidate \(difference.candidate ?? "absent")")
            }
            if !endpoint.noise.isEmpty { lines.append("      noise: \(endpoint.noise.prefix(6).joined(separator: ", "))\(endpoint.noise.count > 6 ? ", …" : "")") }
        }
        if uncompared > 0 { lines.append("  \(uncompared) requests of further endpoints were counted, not compared") }
        lines.append("  \(passed ? "parity holds" : compared == 0 ? "nothing compared" : "differences beyond the threshold") — worst \(String(format: "%.2f", worstDifferingPercent)) % (threshold \(String(format: "%g", threshold)) %)")
        return lines.joined(separator: "\n")
    }

    /// One test case per endpoint: failed when its differing share is above the threshold.
    package func junit() -> JUnitReport {
        JUnitReport(name: "tollgate parity", suites: [JUnitReport.TestSuite(name: "\(candidate) vs \(baseline)", cases: endpoints.map { endpoint in
            let details = endpoint.differences.map { "\($0.path): \($0.baseline ?? "absent") → \($0.candidate ?? "absent") (\($0.requests)×)" }.joined(separator: "\n")
            let result: JUnitReport.TestCase.Result = endpoint.requests == 0 ? .skipped(message: "no request answered by all three")
                : endpoint.differingPercent > threshold ? .failed(message: "\(endpoint.differing) of \(endpoint.requests) differ", details: details) : .passed
            return JUnitReport.TestCase(className: "parity", name: endpoint.pattern, seconds: 0, result: result)
        })])
    }

    /// The page: the verdict, then a table per endpoint with each differing path's pair side by side.
    package func html() -> String {
        var page = HTMLPage(title: "Response parity: \(candidate) vs \(baseline)", tiles: [
            ("endpoints", "\(endpoints.count)", false), ("requests compared", "\(compared)", compared == 0),
            ("worst differing", String(format: "%.2f %%", worstDifferingPercent), !passed),
        ], sections: [])
        page.banner = (passed ? "Parity holds: no endpoint differs beyond \(String(format: "%g", threshold)) %" : "The candidate answers differently", !passed)
        page.notes = ["Each request went to the baseline twice and to the candidate once. Paths where the baseline differed from itself are noise and not counted; a renamed field shows at its old and its new path."]
            + skipped + failures.map { "unanswered: \($0)" }
        page.sections.append(HTMLPage.Section(title: "Endpoints", columns: ["endpoint", "requests", "differing", "share", "noise learned"], rows: endpoints.map { endpoint in
            HTMLPage.Row(cells: [endpoint.pattern, "\(endpoint.requests)", "\(endpoint.differing)", String(format: "%.2f %%", endpoint.differingPercent),
                                 endpoint.noise.joined(separator: ", ")], bad: endpoint.differingPercent > threshold)
        }))
        for endpoint in endpoints where !endpoint.differences.isEmpty {
            page.sections.append(HTMLPage.Section(title: "\(endpoint.pattern): differing paths", columns: ["path", "requests", "baseline", "candidate"],
                                                  rows: endpoint.differences.map { difference in
                HTMLPage.Row(cells: [difference.path, "\(difference.requests)", difference.baseline ?? "(absent)", difference.candidate ?? "(absent)"], bad: true)
            }))
        }
        return page.html()
    }
}
