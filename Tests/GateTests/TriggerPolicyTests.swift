import Consistency
import Foundation
import Gate
import LoadEngine
import LoadMetrics
import Reports
import SLO
import Testing

/// The trigger policy on its own: parts in, triggers and one verdict out — no process, no network.
@Suite struct TriggerPolicyTests {
    static func gate(_ extra: String = "") throws -> GateFile {
        try GateLoader.parse("""
            gateway: {url: "http://127.0.0.1:9", admin_token: t}
            stages: {25: stage.yaml}
            metrics:
              - {name: provider failures, url: "http://127.0.0.1:9/metrics", labels: {route: /v1/payment_intents}, errors: {status: 5xx}, threshold: 0.1, action: rollback}
            \(extra)
            """, file: "gate.yaml")
    }

    @Test func aMetricThatCountedNothingIsInconclusiveAndPauses() throws {
        let check = try #require(try Self.gate().metrics.first)
        var parts = GateParts()
        parts.metrics = [(check, GateReport.MetricReading(name: check.name, url: check.url, requests: 0, errors: 0, errorPercent: 0))]
        let triggers = parts.triggers(inconsistencyThreshold: 0.01)
        #expect(triggers.count == 1 && triggers[0].inconclusive != nil && !triggers[0].breached)
        #expect(GateVerdict(stage: 25, triggers: triggers).action == .pause)
        parts.metrics = [(check, GateReport.MetricReading(name: check.name, url: check.url, requests: 1000, errors: 2, errorPercent: 0.2))]
        let breached = parts.triggers(inconsistencyThreshold: 0.01)
        #expect(breached[0].breached && breached[0].inconclusive == nil && GateVerdict(stage: 25, triggers: breached).action == .rollback)
    }

    /// `slos: []` and no other part: nothing was judged, so the gate pauses (it proceeded, exit 0).
    @Test func aGateWithNothingToJudgePauses() throws {
        var load = LoadResult(run: LoadResult.Run(profile: "p", profileSource: nil, target: "http://127.0.0.1:9", startedAt: Date(), endedAt: Date(),
                                                  durationSeconds: 1, tollgateVersion: "test", host: "h", shard: "1/1", scenarios: [],
                                                  aborted: false, abortedBecause: nil),
                              objectives: [], metrics: RunMetrics())
        load.metrics.total.requests = 10
        var parts = GateParts()
        parts.load = load
        let triggers = parts.triggers(inconsistencyThreshold: 0.01)
        #expect(triggers.count == 1 && triggers[0].inconclusive == "the gate judged nothing", "\(triggers)")
        #expect(GateVerdict(stage: 25, triggers: triggers).action == .pause)
    }

    @Test func theConfirmedInconsistencyIsJudgedAndTheFirstPassShown() {
        var comparison = TableComparison(source: "order-service", target: "monolith")
        comparison.sourceRows = 1000
        comparison.targetRows = 1000
        comparison.firstPass = TableComparison.Counts(missingInTarget: 3, missingInSource: 0, differing: 20)
        comparison.recheckRounds = 2
        comparison.recheckAfter = 5
        var parts = GateParts()
        parts.consistency = [("orders", comparison)]
        let clean = parts.triggers(inconsistencyThreshold: 0.01)
        #expect(!clean[0].breached && clean[0].evidence.contains("first pass 23"), "rows in flight are not lost rows: \(clean[0].evidence)")
        comparison.missingInTarget = 1
        parts.consistency = [("orders", comparison)]
        let lost = parts.triggers(inconsistencyThreshold: 0.01)
        #expect(lost[0].breached && lost[0].action == .pause && GateVerdict(stage: 25, triggers: lost).rolloutPercent == 25)
    }

    @Test func partsThatCouldNotRunAndAnAbortedLoadPause() throws {
        var parts = GateParts()
        parts.problems = ["contracts: the pact folder is empty"]
        #expect(GateVerdict(stage: 50, triggers: parts.triggers(inconsistencyThreshold: 0.01)).action == .pause)

        var load = LoadResult(run: LoadResult.Run(profile: "p", profileSource: nil, target: "http://127.0.0.1:9", startedAt: Date(), endedAt: Date(),
                                                  durationSeconds: 1, tollgateVersion: "test", host: "h", shard: "1/1", scenarios: [],
                                                  aborted: true, abortedBecause: "interrupted"),
                              objectives: [try Objective(parsing: "error_rate<1%")], metrics: RunMetrics())
        load.metrics.total.requests = 10
        parts = GateParts()
        parts.load = load
        let triggers = parts.triggers(inconsistencyThreshold: 0.01)
        #expect(triggers.contains { $0.name == "load completed" && $0.breached && $0.action == .pause })
    }

    @Test func theMostSevereDemandWins() throws {
        var load = LoadResult(run: LoadResult.Run(profile: "p", profileSource: nil, target: "http://127.0.0.1:9", startedAt: Date(), endedAt: Date(),
                                                  durationSeconds: 10, tollgateVersion: "test", host: "h", shard: "1/1", scenarios: [],
                                                  aborted: false, abortedBecause: nil),
                              objectives: try ["error_rate<=1%:rollback", "p95<=500ms:reduce", "error_rate{tag=checkout}<1%:reduce"].map(Objective.init(parsing:)),
                              metrics: RunMetrics())
        load.metrics.total.requests = 100
        load.metrics.total.errors = 5
        for _ in 0..<100 { load.metrics.total.latency.record(micros: 900_000) }
        var parts = GateParts()
        parts.load = load
        let triggers = parts.triggers(inconsistencyThreshold: 0.01)
        #expect(triggers.first { $0.name == "error_rate" }?.breached == true)
        #expect(triggers.first { $0.name.hasPrefix("error_rate{tag=checkout}") }?.inconclusive != nil, "nothing tagged checkout was sent")
        let verdict = GateVerdict(stage: 50, triggers: triggers)
        #expect(verdict.action == .rollback && verdict.rolloutPercent == 0 && verdict.exitCode == 5)
    }
}
