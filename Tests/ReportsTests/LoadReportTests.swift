import Foundation
import LoadEngine
import LoadMetrics
import Reports
import SLO
import Testing
import TestSupport

/// A load result with a minute of figures, a breach and every kind of section filled.
func sampleLoadResult() throws -> LoadResult {
    var metrics = RunMetrics()
    for second in 0..<60 {
        var interval = LatencyHistogram()
        var point = IntervalPoint(start: Double(second), length: 1)
        for n in 0..<100 {
            let micros = UInt64(2000 + (n * 97 + second * 13) % 5000 + (second == 30 ? 400_000 : 0))
            interval.record(micros: micros)
            metrics.total.latency.record(micros: micros)
            metrics.total.rawLatency.record(micros: micros / 2)
            metrics.byName["list products", default: RequestStats()].latency.record(micros: micros)
        }
        point.requests = 100
        point.errors = second == 30 ? 7 : 0
        point.targetRate = 100
        point.activeVUs = second == 30 ? 40 : 3
        point.latency = CompactHistogram(interval)
        metrics.timeSeries.append(point)
    }
    metrics.total.requests = 6000
    metrics.total.errors = 7
    metrics.total.statuses = ["200": 5993, "503": 7]
    metrics.byName["list products"]?.requests = 6000
    metrics.byName["list products"]?.errors = 7
    metrics.errors[.status5xx, default: ErrorTally()].record("list products: status 503: <html>busy & <b>down</b></html>")
    metrics.checks["status is 200"] = CheckTally(passed: 5993, failed: 7)
    metrics.iterations = 6000
    let run = LoadResult.Run(profile: "peak <season>", profileSource: "loadprofiles/peak-season.yaml", target: "http://127.0.0.1:8000",
                             startedAt: Date(timeIntervalSince1970: 1_795_000_000), endedAt: Date(timeIntervalSince1970: 1_795_000_060),
                             durationSeconds: 60, tollgateVersion: "test", host: "ci", shard: "1/1",
                             scenarios: [LoadResult.Scenario(name: "shoppers", executor: "constant-arrival-rate", model: "open", startSeconds: 0, durationSeconds: 60)],
                             aborted: false, abortedBecause: nil)
    return LoadResult(run: run, objectives: [try Objective(parsing: "p99<50ms:reduce"), try Objective(parsing: "error_rate<1%")], metrics: metrics)
}

@Suite struct LoadReportTests {
    @Test func theJSONResultRoundTripsAndKeepsTheHistogramsExact() throws {
        let result = try sampleLoadResult()
        let read = try LoadResult.read(try result.json())
        #expect(read.metrics.total == result.metrics.total)
        #expect(read.metrics.byName == result.metrics.byName)
        #expect(read.metrics.timeSeries == result.metrics.timeSeries)
        #expect(read.metrics.schedulerLateness == result.metrics.schedulerLateness)
        #expect(read.metrics == result.metrics)
        #expect(read.objectives.map(\.expression) == result.objectives.map(\.expression))
        #expect(read.verdict == Verdict(passed: false, action: .reduce))
        let json = try #require(try JSONSerialization.jsonObject(with: try result.json()) as? [String: Any])
        #expect((json["verdict"] as? [String: Any])?["action"] as? String == "reduce")
        #expect(((json["summary"] as? [String: Any])?["latency_ms"] as? [String: Any])?["p99.9"] is Double)
        #expect((json["by_name"] as? [String: Any])?["list products"] != nil)
    }

    @Test func junitHasOneCasePerObjective() throws {
        let xml = try sampleLoadResult().junit().xml()
        #expect(xml.components(separatedBy: "<testcase ").count - 1 == 2)
        #expect(xml.contains(#"<failure message="p99&lt;50ms:reduce breached"#), "\(xml)")
    }

    @Test func theSummaryNamesEachObjectiveAndTheVerdict() throws {
        let text = try sampleLoadResult().summaryText()
        #expect(text.contains("✗ p99<50ms:reduce"))
        #expect(text.contains("✓ error_rate<1%:rollback"))
        #expect(text.contains("verdict: FAILED — reduce traffic"))
    }

    /// The page in a real browser: it must render every chart and log no console error.
    @Test func theHTMLReportRendersInChromiumWithEveryChart() async throws {
        let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let chromium = try #require(browser, "Debian's chromium is needed (make test installs it: scripts/setup-system)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("html-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("report.html")
        try ReportFile.write(try sampleLoadResult().html(), to: page.path)
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", "--user-data-dir=\(folder.path)/profile",
                      "--enable-logging=stderr", "--v=0"]
        let screenshot = folder.appendingPathComponent("report.png")
        let shot = try await ChildProcess(chromium, common + ["--window-size=1280,2400", "--screenshot=\(screenshot.path)", page.absoluteString]).finish()
        #expect(shot.code == 0, "\(shot.err)")
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 20_000, "a PNG with something drawn: \(png.count) bytes")
        let dump = try await ChildProcess(chromium, common + ["--dump-dom", page.absoluteString]).finish()
        for run in [shot, dump] {
            let consoleErrors = run.err.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
            #expect(consoleErrors.isEmpty, "console: \(consoleErrors)")
        }
        let charts = dump.out.components(separatedBy: "<figure class=\"chart\"").count - 1
        #expect(charts == 5, "charts rendered: \(charts)")
        #expect(dump.out.components(separatedBy: "<polyline").count - 1 >= 9, "every series drawn")
        #expect(dump.out.contains("Verdict: failed — reduce traffic"))
        #expect(dump.out.contains("&lt;html&gt;busy &amp; &lt;b&gt;down&lt;/b&gt;&lt;/html&gt;"), "examples are escaped")
    }
}

/// The `.hlog` interval log, decoded by the reference Python implementation (PyPI `hdrhistogram`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_HDR_PYTHON"] != nil,
                "needs PyPI hdrhistogram: make test installs it into .venv-hdrhistogram and sets TOLLGATE_HDR_PYTHON"))
struct HdrLogTests {
    @Test func hdrHistogramsOwnReaderDecodesEveryInterval() async throws {
        let python = try #require(ProcessInfo.processInfo.environment["TOLLGATE_HDR_PYTHON"])
        let result = try sampleLoadResult()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hlog-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("run.hlog")
        try ReportFile.write(HdrLog.text(result), to: log.path)
        let script = """
            import sys
            from hdrh.histogram import HdrHistogram
            from hdrh.log import HistogramLogReader
            total = HdrHistogram(1, 3600000000, 3)
            reader = HistogramLogReader(sys.argv[1], total)
            intervals = 0
            while True:
                h = reader.get_next_interval_histogram()
                if h is None:
                    break
                intervals += 1
                total.add(h)
            print(intervals, total.get_total_count(), total.get_value_at_percentile(50), total.get_value_at_percentile(99), total.get_max_value())
            """
        let run = try await ChildProcess(python, ["-c", script, log.path]).finish()
        #expect(run.code == 0, "\(run.err)")
        let fields = run.out.split(whereSeparator: \.isWhitespace).compactMap { UInt64($0) }
        try #require(fields.count == 5, "\(run.out)\(run.err)")
        var all = CompactHistogram()
        for point in result.metrics.timeSeries.points { all.add(point.latency) }
        #expect(fields[0] == UInt64(result.metrics.timeSeries.points.count))
        #expect(fields[1] == all.count)
        let equivalent = { (python: UInt64, ours: Double) in abs(Double(python) - ours * 1000) <= ours * 1000 / 500 + 1 }
        #expect(equivalent(fields[2], all.milliseconds(atPercentile: 50)), "p50 \(fields[2]) µs vs \(all.milliseconds(atPercentile: 50)) ms")
        #expect(equivalent(fields[3], all.milliseconds(atPercentile: 99)), "p99 \(fields[3]) µs vs \(all.milliseconds(atPercentile: 99)) ms")
        #expect(equivalent(fields[4], Double(all.max) / 1000), "max \(fields[4])")
    }
}

/// Over HTTPS: handshake figures survive a result's round trip, show in the summary, the HTML
/// and the Prometheus exposition, and leave a plain-HTTP result as it was.
struct TLSHandshakeReportTests {
    @Test func handshakesAreReportedApartFromLatency() throws {
        var result = try sampleLoadResult()
        #expect(try String(decoding: result.json(), as: UTF8.self).contains("tls_handshake") == false, "nothing over plain HTTP")
        for micros in [1200, 1500, 9000] as [UInt64] {
            result.metrics.total.tlsHandshake.record(micros: micros)
            result.metrics.byName["list products", default: RequestStats()].tlsHandshake.record(micros: micros)
        }
        result.run.tls = "certificate verification OFF (insecure_skip_verify)"
        let read = try LoadResult.read(result.json())
        #expect(read.metrics.total.tlsHandshake == result.metrics.total.tlsHandshake)
        let json = try #require(try JSONSerialization.jsonObject(with: result.json()) as? [String: Any])
        let summary = try #require((json["summary"] as? [String: Any])?["tls_handshake_ms"] as? [String: Double])
        #expect(summary["max"] == 9.0)
        #expect(((json["by_name"] as? [String: Any])?["list products"] as? [String: Any])?["tls_handshake_ms"] != nil)
        #expect(result.notes.contains { $0.contains("verification was OFF") })
        #expect(result.summaryText().contains("  handshake ") && result.summaryText().contains("tls ............... certificate verification OFF"))
        #expect(result.html().contains("TLS handshakes by request name"))
        let exposition = LoadExposition.text(result.metrics, activeVUs: 1, profile: "p")
        #expect(exposition.contains("# TYPE tollgate_http_req_tls_handshaking_seconds histogram"))
        #expect(exposition.contains(#"tollgate_http_req_tls_handshaking_seconds_count{profile="p",name="list products"} 3"#), "\(exposition.suffix(600))")
    }
}
