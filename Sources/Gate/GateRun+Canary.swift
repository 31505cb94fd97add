import CanaryJudge
import Foundation
import LoadEngine
import LoadMetrics
import ResponseParity

/// The stage's relative checks: response parity before the load, and the canary judge's
/// PromQL series (over the load, or over the window of a stage with no load).
extension GateRun {
    /// Response parity, as the gate file's `parity:` asks, into `parts`.
    func runParity(_ parity: GateFile.Parity, into parts: inout GateParts, events: @escaping @Sendable (GateEvent) -> Void) async {
        events(.parityStarted)
        do {
            let (requests, skipped) = try ParitySources.requests(parity.requests, repeats: parity.repeats, environment: options.environment)
            var parityOptions = ParityOptions()
            parityOptions.threshold = parity.threshold
            parityOptions.comparison = JSONComparison(ignored: Set(parity.ignored), unordered: Set(parity.unordered))
            parityOptions.headers = parity.headers
            let replayOptions = parityOptions
            if var report = try await abortState.unlessAborted({ await ParityReplay.run(requests, baseline: parity.baseline, candidate: parity.candidate, options: replayOptions) }) {
                report.skipped = skipped
                parts.parity = (report, parity.action)
                events(.parityFinished(report))
            }
        } catch { parts.problems.append("parity: \(error)") }
    }

    /// The canary judged against the baseline on the stage's load (not at 100 %: no baseline).
    func judgeLoad(_ judge: JudgeSettings, _ load: LoadResult, into parts: inout GateParts, events: @escaping @Sendable (GateEvent) -> Void) async {
        parts.judge = judge
        guard options.stage < 100 else {
            parts.judgeSkipped = "at \(options.stage) % every user takes the new path: there is no baseline to judge the canary against"
            return
        }
        let series = await querySeries(judge, over: load)
        let judgement = CanaryJudge.judge(judge, baseline: load.metrics.byPath[.baseline] ?? PathMetrics(), canary: load.metrics.byPath[.canary] ?? PathMetrics(),
                                          series: series)
        parts.judgement = judgement
        events(.judged(judgement))
    }

    /// The judge at a stage with no load: its PromQL pairs over the window (the load's own
    /// metrics have nothing to compare); none → said why.
    func judgeObserved(_ judge: JudgeSettings, from start: Date, to end: Date, into parts: inout GateParts, events: @escaping @Sendable (GateEvent) -> Void) async {
        parts.judge = judge
        var pairs = judge
        pairs.metrics = judge.metrics.filter(\.measure.isQueryPair)
        guard !pairs.metrics.isEmpty, options.stage < 100 else {
            parts.judgeSkipped = options.stage >= 100 ? "at \(options.stage) % every user takes the new path: there is no baseline to judge the canary against"
                : "a stage with no load: the judge's load metrics have nothing to compare (a baseline_query/canary_query pair judges the traffic already there)"
            return
        }
        let series = await querySeries(pairs, from: start, to: end)
        parts.judgement = CanaryJudge.judge(pairs, baseline: PathMetrics(), canary: PathMetrics(), series: series)
        if let judgement = parts.judgement { events(.judged(judgement)) }
    }

    /// Each PromQL pair of the judge over the stage's load, from the gate-wide Prometheus: the
    /// values of each query's one series, or why there are none.
    func querySeries(_ judge: JudgeSettings, over load: LoadResult) async -> [String: Result<(baseline: [Double], canary: [Double]), CanaryJudge.SeriesUnavailable>] {
        await querySeries(judge, from: load.run.startedAt, to: load.run.endedAt)
    }

    func querySeries(_ judge: JudgeSettings, from start: Date, to end: Date) async -> [String: Result<(baseline: [Double], canary: [Double]), CanaryJudge.SeriesUnavailable>] {
        guard let prometheus = gate.prometheus else { return [:] }
        let authorization = prometheus.credentials.authorization(from: options.environment)
        let seconds = max(1, end.timeIntervalSince(start))
        var series: [String: Result<(baseline: [Double], canary: [Double]), CanaryJudge.SeriesUnavailable>] = [:]
        for metric in judge.metrics {
            guard case .queryPair(let baselineQuery, let canaryQuery, let step) = metric.measure else { continue }
            func fetch(_ query: String) async -> Result<[Double], CanaryJudge.SeriesUnavailable> {
                let filled = query.replacingOccurrences(of: "${window}", with: "\(max(1, Int(seconds.rounded(.up))))s")
                    .replacingOccurrences(of: "${stage}", with: "\(options.stage)").replacingOccurrences(of: "${percent}", with: "\(options.stage)")
                let range = await metrics.queryRange(filled, prometheus: prometheus.url, authorization: authorization, start: start, end: end, step: step)
                if let problem = range.problem { return .failure(CanaryJudge.SeriesUnavailable(reason: "\(filled): \(problem)")) }
                return .success(range.points.compactMap(\.value))
            }
            switch (await fetch(baselineQuery), await fetch(canaryQuery)) {
            case (.success(let before), .success(let after)): series[metric.name] = .success((before, after))
            case (.failure(let problem), _), (_, .failure(let problem)): series[metric.name] = .failure(problem)
            }
        }
        return series
    }
}
