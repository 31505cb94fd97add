import CanaryJudge
import LoadMetrics
import SLO
import Testing

/// Run metrics with one request name whose latencies and errors are given.
func metrics(_ name: String, latencies: [Double], errors: Int = 0, tag: String? = nil) -> PathMetrics {
    var stats = RequestStats()
    for latency in latencies { stats.latency.record(micros: UInt64(latency * 1000)) }
    stats.requests = latencies.count
    stats.errors = errors
    var metrics = PathMetrics()
    metrics.total = stats
    metrics.byName[name] = stats
    if let tag { metrics.byTag[tag] = stats }
    return metrics
}

struct JudgementTests {
    private var random = SeededGenerator(seed: 11)

    private mutating func latencies(_ count: Int, median: Double) -> [Double] { (0..<count).map { _ in random.latency(median: median) } }

    private func latency(_ name: String, critical: Bool = false, action: RolloutAction? = nil) -> JudgedMetric {
        JudgedMetric(name: "latency \(name)", measure: .latency(.name(name)), direction: .increase, allowedIncrease: 0.1, allowedShift: 20, critical: critical, action: action)
    }

    @Test mutating func aCanary150msSlowerOnOneRouteIsHighThere() {
        var baseline = metrics("get product", latencies: latencies(400, median: 60))
        var canary = metrics("get product", latencies: latencies(400, median: 210))
        baseline.byName["list products"] = metrics("list products", latencies: latencies(400, median: 60)).total
        canary.byName["list products"] = metrics("list products", latencies: latencies(400, median: 60)).total
        let settings = JudgeSettings(metrics: [latency("get product"), latency("list products")])
        let judgement = CanaryJudge.judge(settings, baseline: baseline, canary: canary)
        #expect(judgement.metrics.map(\.classification) == [.high, .pass], "\(judgement.metrics.map(\.reason))")
        let shift = judgement.metrics[0].shift
        #expect(shift > 120 && shift < 180, "the shift estimates the 150 ms: \(shift)")
        // One metric of two fails: a score of 50, below the marginal 75 → roll back.
        #expect(judgement.score == 50 && judgement.action == .rollback && !judgement.passed)
        // The metric may name its own action instead (reduce), and is then left out of the score.
        let reducing = JudgeSettings(metrics: [latency("get product", action: .reduce), latency("list products")])
        let reduced = CanaryJudge.judge(reducing, baseline: baseline, canary: canary)
        #expect(reduced.score == 100 && reduced.action == .reduce, "\(reduced.reason)")
    }

    @Test mutating func theSameDistributionsPassAndTheScoreProceeds() {
        let settings = JudgeSettings(metrics: [latency("get product"),
                                               JudgedMetric(name: "errors", measure: .errorRate(.all), direction: .increase, allowedIncrease: 0.1)])
        let judgement = CanaryJudge.judge(settings, baseline: metrics("get product", latencies: latencies(500, median: 80), errors: 5),
                                          canary: metrics("get product", latencies: latencies(500, median: 80), errors: 6))
        #expect(judgement.metrics.allSatisfy { $0.classification == .pass }, "\(judgement.metrics.map(\.reason))")
        #expect(judgement.action == .proceed && judgement.passed && judgement.exitCode == 0)
    }

    @Test mutating func aSignificantButTinyShiftIsNotARegression() {
        // 0.3 ms on a 5 ms median with 20,000 requests a side: significant, under the 20 ms floor.
        let base = latencies(20_000, median: 5), slower = base.map { $0 + 0.3 }
        let judgement = CanaryJudge.judge(JudgeSettings(metrics: [latency("get product")]), baseline: metrics("get product", latencies: base),
                                          canary: metrics("get product", latencies: slower))
        #expect(judgement.metrics[0].pValue < 0.02 && judgement.metrics[0].classification == .pass, "\(judgement.metrics[0].reason)")
        #expect(judgement.metrics[0].reason.contains("within the 20 ms allowed"))
    }

    @Test mutating func tooFewObservationsAreInconclusiveNeverAPass() {
        let judgement = CanaryJudge.judge(JudgeSettings(metrics: [latency("get product")]), baseline: metrics("get product", latencies: latencies(49, median: 80)),
                                          canary: metrics("get product", latencies: latencies(500, median: 80)))
        #expect(judgement.metrics[0].classification == .noData && judgement.inconclusive)
        #expect(judgement.action == .pause && !judgement.passed && judgement.exitCode == 4, "\(judgement.reason)")
        #expect(judgement.metrics[0].reason.contains("49 baseline"))
    }

    @Test mutating func aFailingCriticalMetricFailsTheWholeJudgement() {
        var baseline = metrics("get product", latencies: latencies(300, median: 80))
        var canary = metrics("get product", latencies: latencies(300, median: 80))
        // Nine healthy metrics and one critical error rate, 0.5 % → 6 %.
        for n in 0..<9 {
            baseline.byName["route \(n)"] = metrics("x", latencies: latencies(300, median: 50)).total
            canary.byName["route \(n)"] = metrics("x", latencies: latencies(300, median: 50)).total
        }
        baseline.total.errors = 2
        canary.total.errors = 18
        let settings = JudgeSettings(metrics: (0..<9).map { latency("route \($0)") }
                                        + [JudgedMetric(name: "errors", measure: .errorRate(.all), direction: .increase, allowedIncrease: 0.1, critical: true)])
        let judgement = CanaryJudge.judge(settings, baseline: baseline, canary: canary)
        #expect(judgement.metrics.last?.classification == .high && judgement.metrics.last?.test == "two-proportion-z", "\(judgement.metrics.last?.reason ?? "")")
        #expect(judgement.score == 100 && judgement.action == .rollback, "\(judgement.reason)")
        #expect(judgement.reason.contains("critical metric 'errors' failed"))
    }

    @Test mutating func aLowerPassRateIsWorseForAChecksMetric() {
        var baseline = PathMetrics(), canary = PathMetrics()
        baseline.checks["status is 200"] = CheckTally(passed: 995, failed: 5)
        canary.checks["status is 200"] = CheckTally(passed: 940, failed: 60)
        let metric = JudgedMetric(name: "status", measure: .checkPassRate("status is 200"), direction: .decrease, allowedIncrease: 0.01)
        let judgement = CanaryJudge.judge(JudgeSettings(metrics: [metric]), baseline: baseline, canary: canary)
        #expect(judgement.metrics[0].classification == .low && !judgement.metrics[0].passed, "\(judgement.metrics[0].reason)")
        #expect(JudgeSettings(metrics: [metric]).absentMeasures(in: [PathMetrics()]).map(\.reason) == ["no check is named 'status is 200' in either result"])
    }
}

extension JudgementTests {
    @Test func aPromQLPairIsJudgedOnTheValuesOfBothSeries() {
        let metric = JudgedMetric(name: "5xx share", measure: .queryPair(baseline: "b", canary: "c", step: 5), direction: .increase, allowedShift: 0.001)
        let settings = JudgeSettings(minSamples: 10, metrics: [metric])
        let baseline = (0..<30).map { 0.001 + Double($0 % 5) * 0.0001 }, canary = (0..<30).map { 0.02 + Double($0 % 5) * 0.0001 }
        let judged = CanaryJudge.judge(settings, baseline: PathMetrics(), canary: PathMetrics(), series: ["5xx share": .success((baseline, canary))])
        #expect(judged.metrics[0].classification == .high && judged.metrics[0].kind == "series" && judged.action == .rollback, "\(judged.metrics[0].reason)")
        let missing = CanaryJudge.judge(settings, baseline: PathMetrics(), canary: PathMetrics(),
                                        series: ["5xx share": .failure(CanaryJudge.SeriesUnavailable(reason: "b: no series"))])
        #expect(missing.metrics[0].classification == .noData && missing.metrics[0].reason.contains("b: no series") && missing.action == .pause)
    }
}
