package import CanaryJudge
import Foundation
import SLO

extension Judgement {
    /// The console table: one line per metric, then the score and the action.
    package func text() -> String {
        var lines = ["canary vs baseline (confidence \(Self.number(confidence * 100)) %, at least \(minSamples) per path)"]
        let width = max(24, metrics.map(\.name.count).max() ?? 0)
        for metric in metrics {
            let mark = metric.classification == .noData ? "?" : metric.passed ? "✓" : "✗"
            let name = metric.name.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("  \(mark) \(name)  \(metric.classification.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0))  "
                         + "\(metric.figuresText)  \(metric.reason)")
        }
        let scoreText = "score \(Self.number(score)) (pass ≥ \(Self.number(passScore)), marginal ≥ \(Self.number(marginalScore)))"
        lines.append("  \(scoreText): \(action.phrase) — \(reason)")
        return lines.joined(separator: "\n")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e12 ? String(Int(value)) : String(format: "%.2f", value)
    }
}

extension MetricJudgement {
    /// Both paths' figures and the shift: `median 81.2 → 96.4 ms, shift +15.1 ms [12.0, 18.3]`.
    var figuresText: String {
        if kind == "latency" || kind == "series" {
            let unit = kind == "latency" ? " ms" : ""
            let show = kind == "latency" ? Self.ms : Self.value
            let interval = interval.map { " [\(show($0[0])), \(show($0[1]))]" } ?? ""
            return "median \(show(baseline.value)) → \(show(canary.value))\(unit) (n \(baseline.samples)/\(canary.samples)), shift \(shift >= 0 ? "+" : "")\(show(shift))\(unit)\(interval)"
        }
        return "\(Self.percent(baseline.value)) → \(Self.percent(canary.value)) (\(baseline.events ?? 0)/\(baseline.samples) vs \(canary.events ?? 0)/\(canary.samples))"
    }

    static func ms(_ value: Double) -> String { String(format: abs(value) >= 100 ? "%.0f" : "%.1f", value) }
    /// A PromQL series' value, in its own unit: four significant digits.
    static func value(_ value: Double) -> String { String(format: "%.4g", value) }
    static func percent(_ value: Double) -> String { String(format: "%.2f %%", value * 100) }
}

extension JudgeReport: JSONHTMLJUnitReport {
    /// What the command prints.
    package func text() -> String {
        "baseline: \(baseline.file) (\(baseline.profile), \(baseline.requests) requests)\n"
            + "canary:   \(canary.file) (\(canary.profile), \(canary.requests) requests)\n" + judgement.text()
    }

    /// One test case per metric: failed when the canary is worse, skipped when there was no data.
    package func junit() -> JUnitReport { JUnitReport(name: "tollgate judge", suites: Self.junitSuites(judgement)) }

    /// The judgement's suite (the gate's report adds it to its own).
    package static func junitSuites(_ judgement: Judgement) -> [JUnitReport.TestSuite] {
        [JUnitReport.TestSuite(name: "canary vs baseline", cases: judgement.metrics.map { metric in
            let result: JUnitReport.TestCase.Result = metric.classification == .noData ? .skipped(message: metric.reason)
                : metric.passed ? .passed : .failed(message: metric.reason, details: metric.figuresText)
            return JUnitReport.TestCase(className: "judge", name: metric.name, seconds: 0, result: result, output: metric.passed ? metric.figuresText : nil)
        })]
    }

    /// The page: the verdict, a table of metrics, and each latency metric's two distributions overlaid.
    package func html() -> String {
        judgement.htmlPage(title: "Canary \(canary.file) vs baseline \(baseline.file)").html()
    }
}

extension Judgement {
    /// The judgement as a page (the gate's report adds it as sections of its own).
    package func htmlPage(title: String) -> HTMLPage {
        let failed = metrics.filter { !$0.passed && $0.classification != .noData }.count
        var page = HTMLPage(title: title, tiles: [
            ("score", Self.number(score), score < passScore), ("metrics", "\(metrics.count)", false),
            ("worse on the canary", "\(failed)", failed > 0),
            ("no data", "\(metrics.filter { $0.classification == .noData }.count)", inconclusive),
        ], sections: [])
        page.banner = ("\(action == .proceed ? "Proceed" : action.phrase.prefix(1).uppercased() + action.phrase.dropFirst()) — \(reason)", action != .proceed)
        page.sections = sections
        page.charts = charts
        page.notes = ["Each metric compares the canary's requests with the baseline's: latency by the Mann–Whitney U test and the Hodges–Lehmann shift (the median of every canary − baseline difference, with its \(Self.number(confidence * 100)) % interval), rates by Fisher's exact test or a two-proportion test. A metric fails when the difference is significant and larger than its tolerance, in the direction that is bad."]
        return page
    }

    /// The metrics table.
    package var sections: [HTMLPage.Section] {
        [HTMLPage.Section(title: "Canary vs baseline", columns: ["metric", "class", "baseline", "canary", "shift", "p-value", "tolerance", "why"], rows: metrics.map { metric in
            let latency = metric.kind == "latency" || metric.kind == "series"
            let unit = metric.kind == "latency" ? " ms" : ""
            let show = metric.kind == "latency" ? MetricJudgement.ms : MetricJudgement.value
            let value = { (v: Double) in latency ? "\(show(v))\(unit)" : MetricJudgement.percent(v) }
            let interval = metric.interval.map { " [\(show($0[0])), \(show($0[1]))]" } ?? ""
            return HTMLPage.Row(cells: [metric.name + (metric.critical ? " (critical)" : ""), metric.classification.rawValue,
                                        "\(value(metric.baseline.value)) (n \(metric.baseline.samples))", "\(value(metric.canary.value)) (n \(metric.canary.samples))",
                                        (latency ? "\(show(metric.shift))\(unit)" : "\(String(format: "%.2f", metric.shift * 100)) points") + interval,
                                        metric.classification == .noData ? "—" : String(format: "%.4g", metric.pValue),
                                        latency ? "\(show(metric.tolerance))\(unit)" : "\(String(format: "%.2f", metric.tolerance * 100)) points", metric.reason],
                                bad: !metric.passed && metric.classification != .noData)
        })]
    }

    /// Per latency metric, the two distributions overlaid (quantile curves: latency by percentile).
    package var charts: [SVGChart] {
        metrics.compactMap { metric in
            guard metric.kind == "latency", let baseline = metric.baselineQuantiles, let canary = metric.canaryQuantiles else { return nil }
            let levels = JudgementQuantiles.levels.map { $0 * 100 }
            return SVGChart(title: "\(metric.name): \(metric.classification.rawValue)", xLabel: "percentile", yLabel: "ms", series: [
                SVGChart.Series(name: "baseline", color: "#5470c6", points: Array(zip(levels, baseline)).map { (x: $0.0, y: $0.1) }),
                SVGChart.Series(name: "canary", color: metric.passed ? "#91cc75" : "#c62828", points: Array(zip(levels, canary)).map { (x: $0.0, y: $0.1) }),
            ], xTicks: [(1, "p1"), (25, "p25"), (50, "p50"), (75, "p75"), (99, "p99")])
        }
    }
}
