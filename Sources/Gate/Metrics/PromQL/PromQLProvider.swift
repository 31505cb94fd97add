import Foundation
import Steps
import Synchronization

/// The gate file's PromQL entries, judged by a Prometheus server as Argo Rollouts judges an
/// analysis: those with an interval measured while the load runs, the others once it has ended.
final class PromQLProvider: MetricProvider {
    private let checks: [QueryCheck]
    private let source: any MetricSource
    /// The load's planned length: measurements that would fall after it are taken closer together.
    private let planned: Double
    private let stage: Int
    private let environment: [String: String]
    private let events: @Sendable (GateEvent) -> Void
    /// Per check, the query as last sent and its measurements so far.
    private let measured: Mutex<[(String, [QueryMeasurement])]>

    init(checks: [QueryCheck], source: any MetricSource, planned: Double, stage: Int, environment: [String: String],
         events: @escaping @Sendable (GateEvent) -> Void) {
        self.checks = checks
        self.source = source
        self.planned = planned
        self.stage = stage
        self.environment = environment
        self.events = events
        measured = Mutex(Array(repeating: ("", []), count: checks.count))
    }

    func begin() async -> [String] { [] }

    func measureDuringLoad(since start: ContinuousClock.Instant) async {
        record(await measure(during: true, since: start))
    }

    func finish(since start: ContinuousClock.Instant) async -> [String] {
        record(await measure(during: false, since: start))
        return []
    }

    func contribute(to parts: inout GateParts) {
        let measured = self.measured.withLock { $0 }
        parts.queries = zip(checks, measured).map { check, entry in JudgedQuery(check: check, sent: entry.0, measurements: entry.1) }
    }

    private func record(_ taken: [(String, [QueryMeasurement])]) {
        measured.withLock { measured in
            for (index, entry) in taken.enumerated() where index < measured.count {
                measured[index].1 += entry.1
                if !entry.0.isEmpty { measured[index].0 = entry.0 }
            }
        }
    }

    /// Measures the gate's PromQL triggers: `during` the load, those with an interval (the first
    /// one interval after `since`, then every interval, `count` in all); after it, one
    /// measurement of each without an interval (a `range_step` entry: one range query over the
    /// whole load, each point a measurement). Returns each check's query as last sent and its
    /// measurements, in the gate file's order; a cancelled task returns what it has.
    private func measure(during: Bool, since start: ContinuousClock.Instant) async -> [(String, [QueryMeasurement])] {
        let planned = self.planned, stage = self.stage, environment = self.environment, source = self.source, events = self.events
        return await withTaskGroup(of: (Int, String, [QueryMeasurement]).self) { group in
            for (index, check) in checks.enumerated() {
                guard during == (check.interval != nil) else {
                    group.addTask { (index, "", []) }
                    continue
                }
                // Measurements after the load has ended would see no traffic: those that do not fit are taken closer together.
                var interval = check.interval
                if during, let asked = interval, asked * Double(check.count) > planned, planned > 0 {
                    interval = planned / Double(check.count)
                    events(.warning(String(format: "%@: %d measurements %@ apart do not fit in the %@ load; taken %.1fs apart", check.name, check.count,
                                           DurationText.describe(asked), DurationText.describe(planned), planned / Double(check.count))))
                }
                group.addTask {
                    let authorization = check.credentials.authorization(from: environment)
                    var taken: [QueryMeasurement] = []
                    var sent = ""
                    for round in 1...(during ? check.count : 1) {
                        if let interval {
                            do { try await Task.sleep(until: start + .seconds(interval * Double(round)), clock: .continuous) } catch { break }
                        }
                        // `${window}` is the load so far: the whole load, for the measurement after it.
                        let elapsed = ContinuousClock.now - start
                        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                        sent = check.filled(window: seconds, stage: stage)
                        if let step = check.rangeStep {
                            // One series over the whole load: each point a measurement.
                            let now = Date()
                            let range = await source.queryRange(sent, prometheus: check.prometheus, authorization: authorization,
                                                                start: now.addingTimeInterval(-seconds), end: now, step: step)
                            let began = now.timeIntervalSince1970 - seconds
                            let points = range.problem.map { [QueryMeasurement(at: seconds, value: nil, problem: $0)] }
                                ?? range.points.map { QueryMeasurement(at: max(0, $0.time - began), value: $0.value, problem: $0.value == nil ? "NaN or ±Inf at this point" : nil) }
                            for measurement in points { events(.measured(check, measurement)) }
                            taken += points
                            continue
                        }
                        let answer = await source.query(sent, prometheus: check.prometheus, authorization: authorization)
                        let measurement = QueryMeasurement(at: seconds, value: answer.value, problem: answer.problem)
                        events(.measured(check, measurement))
                        taken.append(measurement)
                    }
                    return (index, sent, taken)
                }
            }
            var results = Array(repeating: ("", [QueryMeasurement]()), count: checks.count)
            for await (index, sent, taken) in group { results[index] = (sent, taken) }
            return results
        }
    }
}
