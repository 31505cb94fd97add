import Foundation
import LoadEngine
import LoadMetrics
import SLO

extension LoadResult {
    /// A line per objective: `✓ p95<500ms:reduce  312.4 ms`.
    package func sloLines() -> [String] {
        let results = slos
        let width = results.map(\.objective.expression.count).max() ?? 0
        return results.map { result in
            "\(result.passed ? "✓" : result.inconclusive != nil ? "?" : "✗") \(result.objective.expression.padding(toLength: width, withPad: " ", startingAt: 0))  "
                + (result.inconclusive.map { "inconclusive: \($0)" } ?? Self.value(result.value, unit: result.objective.unit))
                + (result.passed ? "" : "  → \(result.action.phrase)")
        }
    }

    /// The end-of-run summary, as k6 prints one.
    package func summaryText() -> String {
        let m = metrics
        let duration = run.durationSeconds
        var lines: [String] = []
        lines.append("  profile ........... \(run.profile)\(run.shard == "1/1" ? "" : " (shard \(run.shard))")")
        lines.append("  target ............ \(run.target)")
        if let tls = run.tls { lines.append("  tls ............... \(tls)") }
        lines.append("  duration .......... \(String(format: "%.1f s", duration))\(run.aborted ? " (aborted: \(run.abortedBecause ?? "stopped"))" : "")")
        lines.append("  requests .......... \(m.total.requests)  \(String(format: "%.1f/s", duration > 0 ? Double(m.total.requests) / duration : 0))")
        lines.append("  iterations ........ \(m.iterations)  dropped \(m.droppedIterations)")
        lines.append("  errors ............ \(m.total.errors)  \(String(format: "%.2f %%", m.total.errorRate * 100))")
        if let payments = m.byTag[Objective.paymentTag], payments.requests > 0 {
            lines.append("  payments .......... \(payments.requests)  failed \(payments.errors - payments.unanswered) (\(String(format: "%.2f %%", payments.answeredErrorRate * 100)) of answered)"
                         + "  unknown \(payments.unanswered) (no answer)")
        }
        if !m.checks.isEmpty {
            let passed = m.checks.values.reduce(0) { $0 + $1.passed }, failed = m.checks.values.reduce(0) { $0 + $1.failed }
            lines.append("  checks ............ \(String(format: "%.2f %%", m.checkPassRate * 100))  ✓ \(passed)  ✗ \(failed)")
        }
        lines.append("")
        lines.append("  latency (ms)       p50       p90       p95       p99     p99.9       max")
        // Over HTTPS, connection set-up apart: raw latency starts after the handshake, corrected latency includes it.
        let rows = [("corrected", m.total.latency), ("raw", m.total.rawLatency)] + (m.total.tlsHandshake.count > 0 ? [("handshake", m.total.tlsHandshake)] : [])
        for (label, histogram) in rows {
            let p = Percentiles(histogram)
            lines.append("  " + label.padding(toLength: 12, withPad: " ", startingAt: 0)
                         + [p.p50, p.p90, p.p95, p.p99, p.p999, p.max].map { String(format: "%10.2f", $0) }.joined())
        }
        if m.schedulerLateness.count > 0 {
            lines.append(String(format: "  scheduler lateness p99 %.3f ms, max %.3f ms", m.schedulerLateness.milliseconds(atPercentile: 99), m.schedulerLateness.maxMilliseconds))
        }
        if m.byName.count > 1 {
            lines.append("")
            lines.append("  request                                  count   errors     p95 ms     p99 ms")
            for (name, stats) in m.byName.sorted(by: { $0.key < $1.key }) {
                lines.append("  " + String(name.prefix(38)).padding(toLength: 38, withPad: " ", startingAt: 0)
                             + String(format: "%8d %8d %10.2f %10.2f", stats.requests, stats.errors, stats.latency.milliseconds(atPercentile: 95), stats.latency.milliseconds(atPercentile: 99)))
            }
        }
        if !m.byPath.isEmpty {
            lines.append("")
            lines.append("  path (canary split)     count   errors     p50 ms     p95 ms     p99 ms")
            for path in TrafficPath.allCases {
                let stats = m.byPath[path]?.total ?? RequestStats()
                lines.append("  " + path.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)
                             + String(format: "%9d %8d %10.2f %10.2f %10.2f", stats.requests, stats.errors, stats.latency.milliseconds(atPercentile: 50),
                                      stats.latency.milliseconds(atPercentile: 95), stats.latency.milliseconds(atPercentile: 99)))
            }
            let told = m.byPath.values.reduce(0) { $0 + $1.total.requests }
            if told < m.total.requests { lines.append("  (\(m.total.requests - told) requests named no path)") }
        }
        if !m.errors.isEmpty {
            lines.append("")
            lines.append("  errors by class")
            for (kind, tally) in m.errors.sorted(by: { $0.key < $1.key }) {
                lines.append("    \(kind.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) \(tally.count)   e.g. \(tally.examples.first ?? "")")
            }
        }
        for note in notes { lines.append(""); lines.append("  note: \(note)") }
        lines.append("")
        lines.append("  objectives")
        lines += sloLines().map { "    " + $0 }
        let verdict = self.verdict
        lines.append("")
        lines.append("  verdict: \(verdict.passed ? "PASSED" : verdict.aborted ? "ABORTED" : "FAILED") — \(verdict.action.phrase)")
        return lines.joined(separator: "\n")
    }

    /// `50`, `99.9`, `99.99`.
    static func percentileName(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%g", value)
    }

    static func value(_ value: Double, unit: String) -> String {
        switch unit {
        case "ms": return String(format: "%.2f ms", value)
        case "%": return String(format: "%.3f %%", value)
        case "/s": return String(format: "%.1f/s", value)
        default: return String(format: "%.0f", value)
        }
    }

    /// One test case per objective.
    package func junit() -> JUnitReport {
        let cases = slos.map { result in
            JUnitReport.TestCase(
                className: "load.\(run.profile)", name: result.objective.expression, seconds: run.durationSeconds,
                result: result.passed ? .passed : .failed(message: result.inconclusive.map { "\(result.objective.expression) inconclusive: \($0) → \(result.action.phrase)" }
                                                            ?? "\(result.objective.expression) breached: measured \(Self.value(result.value, unit: result.objective.unit)) → \(result.objective.action.phrase)",
                                                          details: "value \(result.value) \(result.objective.unit), threshold \(result.objective.comparison.rawValue) \(result.objective.threshold)"))
        }
        var suites = [JUnitReport.TestSuite(name: "objectives", cases: cases)]
        if run.aborted {
            suites.append(JUnitReport.TestSuite(name: "run", cases: [JUnitReport.TestCase(className: "load.\(run.profile)", name: "run completed", seconds: run.durationSeconds,
                                                                                         result: .error(message: "aborted: \(run.abortedBecause ?? "stopped")"))]))
        }
        return JUnitReport(name: "tollgate load \(run.profile)", suites: suites)
    }

    /// The self-contained HTML page.
    package func html() -> String {
        let m = metrics
        let verdict = self.verdict
        let duration = run.durationSeconds
        let tiles: [(label: String, value: String, bad: Bool)] = [
            ("requests", "\(m.total.requests)", false),
            ("requests/s", String(format: "%.1f", duration > 0 ? Double(m.total.requests) / duration : 0), false),
            ("p95 (corrected)", String(format: "%.1f ms", m.total.latency.milliseconds(atPercentile: 95)), false),
            ("p99 (corrected)", String(format: "%.1f ms", m.total.latency.milliseconds(atPercentile: 99)), false),
            ("error rate", String(format: "%.2f %%", m.total.errorRate * 100), m.total.errors > 0),
            ("dropped iterations", "\(m.droppedIterations)", m.droppedIterations > 0),
        ]
        var page = HTMLPage(title: "Load run: \(run.profile)", tiles: tiles, sections: [])
        page.banner = ("Verdict: \(verdict.passed ? "passed" : verdict.aborted ? "not passed (aborted)" : "failed") — \(verdict.action.phrase)" + (run.aborted ? " (run aborted)" : ""), !verdict.passed || run.aborted)
        let points = m.timeSeries.points
        func line(_ name: String, _ color: String, dashed: Bool = false, _ value: (IntervalPoint) -> Double) -> SVGChart.Series {
            SVGChart.Series(name: name, color: color, points: points.map { ($0.start + $0.length, value($0)) }, dashed: dashed)
        }
        let percentiles: [Double] = [0, 50, 75, 90, 95, 99, 99.9, 99.99, 100]
        page.charts = [
            SVGChart(title: "Latency distribution (ms by percentile)", xLabel: "percentile", yLabel: "ms",
                     series: [SVGChart.Series(name: "corrected", color: "#3461c1", points: percentiles.enumerated().map { (Double($0.offset), $0.element == 100 ? m.total.latency.maxMilliseconds : m.total.latency.milliseconds(atPercentile: $0.element)) }),
                              SVGChart.Series(name: "raw", color: "#9aa5b8", points: percentiles.enumerated().map { (Double($0.offset), $0.element == 100 ? m.total.rawLatency.maxMilliseconds : m.total.rawLatency.milliseconds(atPercentile: $0.element)) }, dashed: true)],
                     xTicks: percentiles.enumerated().map { (Double($0.offset), $0.element == 100 ? "max" : "p" + Self.percentileName($0.element)) }),
            SVGChart(title: "Throughput vs target (per second)", xLabel: "seconds", yLabel: "/s",
                     series: [line("requests/s", "#3461c1") { $0.ratePerSecond }, line("iterations/s", "#00897b") { $0.iterationsPerSecond },
                              line("target iterations/s", "#e08a00", dashed: true) { $0.targetRate }]),
            SVGChart(title: "Latency over time (ms, corrected)", xLabel: "seconds", yLabel: "ms",
                     series: [line("p50", "#1b7f3b") { $0.latency.milliseconds(atPercentile: 50) }, line("p95", "#e08a00") { $0.latency.milliseconds(atPercentile: 95) },
                              line("p99", "#c62828") { $0.latency.milliseconds(atPercentile: 99) }]),
            SVGChart(title: "Errors and dropped iterations (per interval)", xLabel: "seconds", yLabel: "count",
                     series: [line("errors", "#c62828") { Double($0.errors) }, line("dropped", "#7b1fa2", dashed: true) { Double($0.droppedIterations) }]),
            SVGChart(title: "Virtual users busy (most at once per interval)", xLabel: "seconds", yLabel: "VUs", series: [line("VUs", "#00897b") { Double($0.activeVUs) }]),
        ]
        page.notes = notes
        page.sections.append(HTMLPage.Section(title: "Objectives", columns: ["objective", "measured", "result", "action on breach"], rows: slos.map { result in
            HTMLPage.Row(cells: [result.objective.expression, result.inconclusive ?? Self.value(result.value, unit: result.objective.unit),
                                 result.passed ? "✓ held" : result.inconclusive != nil ? "? inconclusive" : "✗ breached", result.action.phrase],
                         bad: !result.passed)
        }))
        func percentileRow(_ label: String, _ h: LatencyHistogram) -> HTMLPage.Row {
            let p = Percentiles(h)
            return HTMLPage.Row(cells: [label] + [p.p50, p.p90, p.p95, p.p99, p.p999, p.max, p.mean].map { String(format: "%.2f", $0) })
        }
        page.sections.append(HTMLPage.Section(title: "Latency (ms)", columns: ["", "p50", "p90", "p95", "p99", "p99.9", "max", "mean"],
                                              rows: [percentileRow("corrected (from the intended start)", m.total.latency), percentileRow("raw (from the send)", m.total.rawLatency)]
                                                  + (m.total.tlsHandshake.count > 0
                                                     ? [percentileRow("TLS handshake (\(m.total.tlsHandshake.count) new connections; connection set-up, not in raw)", m.total.tlsHandshake)] : [])))
        if m.total.tlsHandshake.count > 0 {
            page.sections.append(HTMLPage.Section(title: "TLS handshakes by request name (ms)", columns: ["", "handshakes", "p50", "p95", "p99", "max"],
                                                  rows: m.byName.filter { $0.value.tlsHandshake.count > 0 }.sorted { $0.key < $1.key }.map { name, stats in
                let h = stats.tlsHandshake
                return HTMLPage.Row(cells: [name, "\(h.count)"] + [50, 95, 99].map { String(format: "%.2f", h.milliseconds(atPercentile: $0)) } + [String(format: "%.2f", h.maxMilliseconds)])
            }))
        }
        func groupRows(_ groups: [String: RequestStats]) -> [HTMLPage.Row] {
            groups.sorted { $0.key < $1.key }.map { name, stats in
                HTMLPage.Row(cells: [name, "\(stats.requests)", "\(stats.errors)", String(format: "%.2f %%", stats.errorRate * 100),
                                     String(format: "%.2f", stats.latency.milliseconds(atPercentile: 50)), String(format: "%.2f", stats.latency.milliseconds(atPercentile: 95)),
                                     String(format: "%.2f", stats.latency.milliseconds(atPercentile: 99)), String(format: "%.2f", stats.latency.maxMilliseconds)],
                             bad: stats.errors > 0)
            }
        }
        let groupColumns = ["", "requests", "errors", "error rate", "p50 ms", "p95 ms", "p99 ms", "max ms"]
        page.sections.append(HTMLPage.Section(title: "Requests by name", columns: groupColumns, rows: groupRows(m.byName)))
        if !m.byTag.isEmpty { page.sections.append(HTMLPage.Section(title: "Requests by tag", columns: groupColumns, rows: groupRows(m.byTag))) }
        // Under a canary split, each path's requests side by side, then by name.
        if !m.byPath.isEmpty {
            page.sections.append(HTMLPage.Section(title: "Paths (canary split)", columns: groupColumns,
                                                  rows: groupRows(Dictionary(uniqueKeysWithValues: m.byPath.map { ($0.key.rawValue, $0.value.total) }))))
            let names = Set(m.byPath.values.flatMap(\.byName.keys)).sorted()
            page.sections.append(HTMLPage.Section(title: "Requests by name and path", columns: groupColumns, rows: names.flatMap { name in
                TrafficPath.allCases.compactMap { path in m.byPath[path]?.byName[name].map { (path, $0) } }.flatMap { path, stats in groupRows(["\(name) — \(path.rawValue)": stats]) }
            }))
        }
        if let payments = m.byTag[Objective.paymentTag], payments.requests > 0 {
            page.sections.append(HTMLPage.Section(title: "Payments", columns: ["requests", "failed (the answer said so)", "failure rate of answered", "unknown (no answer)"], rows: [
                HTMLPage.Row(cells: ["\(payments.requests)", "\(payments.errors - payments.unanswered)", String(format: "%.2f %%", payments.answeredErrorRate * 100),
                                     "\(payments.unanswered)"], bad: payments.errors > 0),
            ]))
        }
        page.sections.append(HTMLPage.Section(title: "Status codes", columns: ["status", "responses"],
                                              rows: m.total.statuses.sorted { $0.key < $1.key }.map { HTMLPage.Row(cells: [$0.key, "\($0.value)"], bad: ($0.key.first ?? "0") >= "4") }))
        if !m.checks.isEmpty {
            page.sections.append(HTMLPage.Section(title: "Checks", columns: ["check", "passed", "failed"],
                                                  rows: m.checks.sorted { $0.key < $1.key }.map { HTMLPage.Row(cells: [$0.key, "\($0.value.passed)", "\($0.value.failed)"], bad: $0.value.failed > 0) }))
        }
        page.sections.append(HTMLPage.Section(title: "Errors by class", columns: ["class", "count"],
                                              rows: m.errors.sorted { $0.key < $1.key }.map { HTMLPage.Row(cells: [$0.key.rawValue, "\($0.value.count)"], bad: true, details: $0.value.examples) }))
        page.sections.append(HTMLPage.Section(title: "Run", columns: ["", ""], rows: [
            HTMLPage.Row(cells: ["target", run.target]), HTMLPage.Row(cells: ["profile", run.profileSource ?? run.profile]),
            HTMLPage.Row(cells: ["TLS", run.tls ?? "none (plain HTTP)"], bad: run.tls?.contains("verification OFF") ?? false),
            HTMLPage.Row(cells: ["started", ISO8601DateFormatter().string(from: run.startedAt)]), HTMLPage.Row(cells: ["duration", String(format: "%.1f s", duration)]),
            HTMLPage.Row(cells: ["scenarios", run.scenarios.map { "\($0.name): \($0.executor) (\($0.model) model)" }.joined(separator: "; ")]),
            HTMLPage.Row(cells: ["shard", run.mergedFrom.isEmpty ? run.shard : "merged from " + run.mergedFrom.joined(separator: ", ")]),
            HTMLPage.Row(cells: ["host", run.host]), HTMLPage.Row(cells: ["tollgate", run.tollgateVersion]),
        ]))
        return page.html()
    }
}
