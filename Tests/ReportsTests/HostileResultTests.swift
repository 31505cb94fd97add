import Foundation
import LoadEngine
import LoadMetrics
import Reports
import SLO
import Testing

/// Result files from outside are read with limits: a hostile or corrupt file is an error naming
/// the field, never a trap or an endless loop in a merge, a chart or a summary.
@Suite struct HostileResultTests {
    /// The sample result as JSON, with `edit` applied to its dictionary.
    static func edited(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        var json = try #require(try JSONSerialization.jsonObject(with: sampleLoadResult().json()) as? [String: Any])
        edit(&json)
        return try JSONSerialization.data(withJSONObject: json)
    }

    static func metrics(_ json: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var metrics = json["metrics"] as! [String: Any]
        edit(&metrics)
        json["metrics"] = metrics
    }

    static func firstPoint(_ json: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        metrics(&json) { metrics in
            var series = metrics["time_series"] as! [String: Any]
            var points = series["points"] as! [[String: Any]]
            edit(&points[0])
            series["points"] = points
            metrics["time_series"] = series
        }
    }

    @Test func theSampleReadsBack() throws {
        _ = try LoadResult.read(try Self.edited { _ in })
    }

    @Test(arguments: [
        "bucket without a count", "empty bucket", "count 2^64-1", "negative length", "interval 0", "interval -1", "requests Int.max",
        "negative requests", "negative check count", "negative duration", "names past the cap",
    ])
    func aHostileFigureIsAnError(_ kind: String) throws {
        let data = try Self.edited { json in
            switch kind {
            case "bucket without a count": Self.firstPoint(&json) { $0["latency_histogram"] = ["buckets": [[5]], "min": 0, "max": 0] }
            case "empty bucket": Self.firstPoint(&json) { $0["latency_histogram"] = ["buckets": [[]], "min": 0, "max": 0] }
            case "count 2^64-1": Self.firstPoint(&json) { $0["latency_histogram"] = ["buckets": [[5, UInt64.max]], "min": 5, "max": 5] }
            case "negative length": Self.firstPoint(&json) { $0["length_s"] = -1e308 }
            case "interval 0", "interval -1":
                Self.metrics(&json) { metrics in
                    var series = metrics["time_series"] as! [String: Any]
                    series["interval"] = kind == "interval 0" ? 0 : -1
                    metrics["time_series"] = series
                }
            case "requests Int.max", "negative requests":
                Self.metrics(&json) { metrics in
                    var total = metrics["total"] as! [String: Any]
                    total["requests"] = kind == "negative requests" ? -10_000 : Int.max
                    metrics["total"] = total
                }
            case "negative check count": Self.metrics(&json) { $0["checks"] = ["status is 200": ["passed": -5, "failed": 0]] }
            case "names past the cap":
                Self.metrics(&json) { metrics in
                    let one = (metrics["by_name"] as! [String: Any])["list products"]!
                    metrics["by_name"] = Dictionary(uniqueKeysWithValues: (0...RunMetrics.maximumGroups + 1).map { ("name \($0)", one) })
                }
            default:
                var run = json["run"] as! [String: Any]
                run["duration_s"] = -1e308
                json["run"] = run
            }
        }
        #expect(throws: DecodingError.self) { try LoadResult.read(data) }
    }

    @Test func anAbortedRunIsNeverAPass() throws {
        var result = try sampleLoadResult()
        result.objectives = [try Objective(parsing: "error_rate<50%")]
        #expect(result.verdict.passed)
        result.run.aborted = true
        result.run.abortedBecause = "interrupted (Ctrl-C or SIGTERM)"
        #expect(!result.verdict.passed && result.verdict.aborted && result.verdict.action == .pause)
        let json = try #require(try JSONSerialization.jsonObject(with: result.json()) as? [String: Any])
        #expect((json["verdict"] as? [String: Any])?["passed"] as? Bool == false)
        #expect((json["verdict"] as? [String: Any])?["aborted"] as? Bool == true)
        #expect(result.summaryText().contains("verdict: ABORTED"))
    }
}
