import CanaryJudge
import Foundation
import Gate
import LoadEngine
import LoadMetrics
import SLO
import Testing

/// Absolute triggers under a canary split: whose breach it is.
struct CanaryAttributionTests {
    /// A path whose requests took `latencies` milliseconds.
    private func path(_ latencies: [Double]) -> PathMetrics {
        var figures = PathMetrics()
        for latency in latencies {
            figures.total.requests += 1
            figures.total.latency.record(micros: UInt64(latency * 1000))
        }
        return figures
    }

    /// Latencies spread around `median` (a fixed pattern: reproducible).
    private func spread(_ median: Double, count: Int = 400) -> [Double] {
        (0..<count).map { index -> Double in
            let step = Double((index * 37) % 100) / 100
            return median * (0.8 + 0.4 * step)
        }
    }

    private func parts(baseline: [Double], canary: [Double]) throws -> GateParts {
        var metrics = RunMetrics()
        metrics.byPath = [.baseline: path(baseline), .canary: path(canary)]
        metrics.total = path(baseline + canary).total
        let load = LoadResult(run: LoadResult.Run(profile: "p", profileSource: nil, target: "http://127.0.0.1:9", startedAt: Date(), endedAt: Date(),
                                                  durationSeconds: 10, tollgateVersion: "test", host: "h", shard: "1/1", scenarios: [],
                                                  aborted: false, abortedBecause: nil),
                              objectives: [try Objective(parsing: "p95<=500ms:reduce")], metrics: metrics)
        var parts = GateParts()
        parts.load = load
        parts.judge = JudgeSettings(metrics: [JudgedMetric(name: "latency all", measure: .latency(.all), direction: .increase, allowedIncrease: 0.1, allowedShift: 20)])
        parts.judgement = CanaryJudge.judge(parts.judge!, baseline: metrics.byPath[.baseline]!, canary: metrics.byPath[.canary]!)
        return parts
    }

    private func p95(_ parts: GateParts) throws -> GateTrigger {
        try #require(parts.triggers(inconsistencyThreshold: 0.01).first { $0.name == "p95" })
    }

    @Test func aBreachOnBothPathsAlikeIsTheEnvironmentsAndPauses() throws {
        let trigger = try p95(try parts(baseline: spread(600), canary: spread(600)))
        #expect(trigger.breached && trigger.action == .pause, "\(trigger)")
        #expect(trigger.evidence.contains("breached on both paths alike") && trigger.evidence.contains("the environment, not the canary"), "\(trigger.evidence)")
    }

    @Test func aBreachOnTheCanaryAloneKeepsItsAction() throws {
        let trigger = try p95(try parts(baseline: spread(300), canary: spread(600)))
        #expect(trigger.breached && trigger.action == .reduce, "\(trigger)")
        #expect(trigger.evidence.contains("baseline") && trigger.evidence.contains("High"), "\(trigger.evidence)")
    }

    @Test func aBreachOnBothWithTheCanaryWorseKeepsItsAction() throws {
        let trigger = try p95(try parts(baseline: spread(600), canary: spread(900)))
        #expect(trigger.breached && trigger.action == .reduce, "\(trigger)")
    }

    @Test func withoutSplitFiguresNothingChanges() throws {
        var parts = try parts(baseline: spread(600), canary: spread(600))
        parts.judgement = nil
        let trigger = try p95(parts)
        #expect(trigger.action == .reduce && !trigger.evidence.contains("canary"))
    }
}
