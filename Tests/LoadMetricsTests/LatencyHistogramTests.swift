import Foundation
import LoadMetrics
import Testing

@Suite struct LatencyHistogramTests {
    static func histogram(_ values: [UInt64]) -> LatencyHistogram {
        var h = LatencyHistogram()
        for v in values { h.record(micros: v) }
        return h
    }

    @Test func encodingIsSparseAndLossless() throws {
        let values: [UInt64] = (1...5000).map { UInt64($0 * 37 % 100_000 + 1) } + [3_599_999_999, 1]
        let original = Self.histogram(values)
        let data = try JSONEncoder().encode(original)
        #expect(data.count < 60_000, "sparse: \(data.count) bytes")
        let decoded = try JSONDecoder().decode(LatencyHistogram.self, from: data)
        #expect(decoded == original)
        for p in [50.0, 90, 99, 99.9, 100] {
            #expect(decoded.milliseconds(atPercentile: p) == original.milliseconds(atPercentile: p))
        }
    }

    @Test func addingShardsEqualsRecordingEverythingInOne() {
        let a: [UInt64] = (1...3000).map { UInt64($0 * 13 % 9000 + 1) }
        let b: [UInt64] = (1...2000).map { UInt64($0 * 71 % 250_000 + 1) }
        var merged = Self.histogram(a)
        merged.add(Self.histogram(b))
        #expect(merged == Self.histogram(a + b))
        #expect(merged.count == 5000)
    }

    @Test func valuesOutsideTheRangeAreClampedNotLost() {
        let h = Self.histogram([0, 10_000_000_000])
        #expect(h.count == 2)
        #expect(h.maxMilliseconds >= 3_599_000)
    }

    @Test func aCompactHistogramAnswersAsTheFullOne() {
        let values: [UInt64] = (1...4000).map { UInt64($0 * 131 % 700_000 + 1) }
        let full = Self.histogram(values)
        var compact = CompactHistogram(Self.histogram(Array(values.prefix(1000))))
        compact.add(CompactHistogram(Self.histogram(Array(values.dropFirst(1000)))))
        #expect(compact == CompactHistogram(full))
        for p in [0.0, 1, 50, 90, 95, 99, 99.9, 100] {
            #expect(compact.milliseconds(atPercentile: p) == full.milliseconds(atPercentile: p), "p\(p)")
        }
    }

    @Test func correctedRecordingFillsTheRequestsABlockedUserWouldHaveSent() {
        var h = LatencyHistogram()
        h.record(micros: 1_000_000, expectedInterval: 100_000)
        #expect(h.count == 10, "1 s at an expected 100 ms interval: the value and 9 filled-in ones")
    }

    @Test func corruptBucketsAreRefused() {
        for bad in [#"{"buckets": [[0, 1]]}"#, #"{"buckets": [[5, 1, 2]]}"#, #"{"buckets": [[5, 9007199254740993]]}"#, #"{"buckets": [[40000000000, 1]]}"#] {
            #expect(throws: DecodingError.self, "\(bad)") { try JSONDecoder().decode(LatencyHistogram.self, from: Data(bad.utf8)) }
        }
    }
}

@Suite struct TimeSeriesTests {
    static let oneMillisecond: CompactHistogram = {
        var h = LatencyHistogram()
        h.record(micros: 1000)
        return CompactHistogram(h)
    }()

    static func point(requests: Int) -> IntervalPoint {
        var p = IntervalPoint(start: 0, length: 1)
        p.requests = requests
        p.latency = oneMillisecond
        return p
    }

    @Test func aLongRunKeepsABoundedNumberOfPointsAndEveryRequest() {
        var series = TimeSeries()
        for _ in 0..<(TimeSeries.maximumPoints * 3) { series.append(Self.point(requests: 2)) }
        #expect(series.points.count <= TimeSeries.maximumPoints)
        #expect(series.interval == 4)
        #expect(series.points.reduce(0) { $0 + $1.requests } == TimeSeries.maximumPoints * 6)
        #expect(series.points.reduce(0) { $0 + $1.latency.count } == UInt64(TimeSeries.maximumPoints * 3))
        #expect(series.points[1].start == 4)
    }

    @Test func shardsAlignBySecond() {
        var a = TimeSeries(), b = TimeSeries()
        for n in 0..<5 { a.append(Self.point(requests: n)) }
        for _ in 0..<7 { b.append(Self.point(requests: 10)) }
        a.merge(b)
        #expect(a.points.map(\.requests) == [10, 11, 12, 13, 14, 10, 10])
    }

    @Test func runMetricsMergeAddsEveryCounter() throws {
        var one = RunMetrics()
        one.total.requests = 3
        one.byName["a", default: RequestStats()].requests = 3
        one.errors[.timeout, default: ErrorTally()].record("slow")
        one.droppedIterations = 2
        var two = RunMetrics()
        two.total.requests = 4
        two.byName["a", default: RequestStats()].requests = 1
        two.byName["b", default: RequestStats()].requests = 3
        two.errors[.timeout, default: ErrorTally()].record("slower")
        two.checks["status is 200"] = CheckTally(passed: 3, failed: 1)
        one.merge(two)
        #expect(one.total.requests == 7)
        #expect(one.byName["a"]?.requests == 4 && one.byName["b"]?.requests == 3)
        #expect(one.errors[.timeout]?.count == 2 && one.errors[.timeout]?.examples == ["slow", "slower"])
        #expect(one.droppedIterations == 2)
        #expect(one.checkPassRate == 0.75)
        let decoded = try JSONDecoder().decode(RunMetrics.self, from: try JSONEncoder().encode(one))
        #expect(decoded == one)
    }

    @Test func eachPathsFiguresMergeAndSurviveTheTrip() throws {
        var one = RunMetrics(), two = RunMetrics()
        one.byPath[.baseline, default: PathMetrics()].byName["get", default: RequestStats()].latency.record(micros: 1_000)
        one.byPath[.baseline, default: PathMetrics()].total.requests = 1
        two.byPath[.baseline, default: PathMetrics()].total.requests = 2
        two.byPath[.canary, default: PathMetrics()].checks["status is 200"] = CheckTally(passed: 5, failed: 1)
        one.merge(two)
        #expect(one.byPath[.baseline]?.total.requests == 3 && one.byPath[.canary]?.checks["status is 200"]?.failed == 1)
        let data = try JSONEncoder().encode(one)
        #expect(try JSONDecoder().decode(RunMetrics.self, from: data) == one)
        // A result without a split writes no by_path, and reads back with none.
        #expect(!String(decoding: try JSONEncoder().encode(RunMetrics()), as: UTF8.self).contains("by_path"))
        let unknownPath = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"canary\"", with: "\"sideways\"")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RunMetrics.self, from: Data(unknownPath.utf8)) }
    }
}

/// Figures read from a file that are each within 2^53 but add up past it (1,100 checks of 2^53
/// passes, 2,048 points of 2^53 requests) are refused when read, never a trap when added.
@Suite struct DecodedSumsTests {
    @Test func checkTalliesThatAddUpPastTheLimitAreRefused() throws {
        var metrics = RunMetrics()
        for n in 0..<1_100 { metrics.checks["check \(n)"] = CheckTally(passed: 1 << 53) }
        let data = try JSONEncoder().encode(metrics)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RunMetrics.self, from: data) }
        metrics.checks = ["one": CheckTally(passed: 1 << 52), "two": CheckTally(passed: 1 << 52)]
        #expect(try JSONDecoder().decode(RunMetrics.self, from: JSONEncoder().encode(metrics)).checks.count == 2)
    }

    @Test func seriesPointsThatAddUpPastTheLimitAreRefused() throws {
        var series = TimeSeries()
        for _ in 0..<2_048 {
            var point = IntervalPoint(start: 0, length: 1)
            point.requests = 1 << 53
            series.append(point)
        }
        let data = try JSONEncoder().encode(series)
        do {
            _ = try JSONDecoder().decode(TimeSeries.self, from: data)
            Issue.record("2,048 points of 2^53 requests were read")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription == "points: the points' requests add up to more than 2^53")
        }
    }
}
