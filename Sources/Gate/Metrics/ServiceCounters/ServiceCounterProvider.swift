import Synchronization

/// The gate file's `metrics:` counter entries: each service's own counters read at the gate's
/// start and after its load, judged on what happened in between.
final class ServiceCounterProvider: MetricProvider {
    private let checks: [GateFile.MetricCheck]
    private let source: any MetricSource
    private let events: @Sendable (GateEvent) -> Void
    private let state = Mutex(State())

    private struct State {
        var baselines: [[PrometheusSample]?] = []
        var readings: [(check: GateFile.MetricCheck, reading: GateReport.MetricReading)] = []
    }

    init(checks: [GateFile.MetricCheck], source: any MetricSource, events: @escaping @Sendable (GateEvent) -> Void) {
        self.checks = checks
        self.source = source
        self.events = events
    }

    func begin() async -> [String] {
        var baselines: [[PrometheusSample]?] = [], problems: [String] = []
        for check in checks {
            do { baselines.append(try await source.samples(at: check.url)) } catch {
                baselines.append(nil)
                problems.append("metrics \(check.name): \(error)")
            }
        }
        state.withLock { $0.baselines = baselines }
        return problems
    }

    func measureDuringLoad(since start: ContinuousClock.Instant) async {}

    func finish(since start: ContinuousClock.Instant) async -> [String] {
        guard !checks.isEmpty else { return [] }
        events(.metricsStarted)
        var problems: [String] = []
        let baselines = state.withLock { $0.baselines }
        for (check, baseline) in zip(checks, baselines) {
            guard let baseline else { continue }
            do {
                let delta = check.rate.delta(before: baseline, after: try await source.samples(at: check.url))
                let reading = GateReport.MetricReading(name: check.name, url: check.url, requests: delta.total, errors: delta.errors, errorPercent: delta.percent)
                events(.metric(check, reading))
                state.withLock { $0.readings.append((check, reading)) }
            } catch { problems.append("metrics \(check.name): \(error)") }
        }
        return problems
    }

    func contribute(to parts: inout GateParts) {
        parts.metrics = state.withLock { $0.readings }
    }
}
