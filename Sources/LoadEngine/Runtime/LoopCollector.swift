import HTTPWire
import LoadMetrics
import Steps

/// The figures one event loop measured since the coordinator last took them. Lock-free: only
/// its loop records into it, and the coordinator takes it by running `take` on that loop.
final class LoopCollector: @unchecked Sendable {
    // Safe: every access happens on the one event loop this collector belongs to.
    private var metrics = RunMetrics()

    /// Records one finished request, and under a canary split on the `path` that served it.
    /// Times are monotonic nanoseconds.
    func record(step: Step, intended: UInt64, sent: UInt64, ended: UInt64, status: Int?, outcome: StepOutcome, correctionInterval: UInt64?,
                path: TrafficPath? = nil) {
        let raw = (ended &- sent) / 1000
        let corrected = (ended &- min(intended, sent)) / 1000
        func add(_ stats: inout RequestStats) {
            stats.requests += 1
            if outcome.error != nil { stats.errors += 1 }
            if outcome.error != nil && status == nil { stats.unanswered += 1 }
            if let status { stats.statuses[Self.statusText(status), default: 0] += 1 }
            // A connection that never opened has no latency to show.
            guard outcome.error != .connect, outcome.error != .tls else { return }
            if let correctionInterval, correctionInterval > 0 {
                stats.latency.record(micros: corrected, expectedInterval: correctionInterval / 1000)
            } else {
                stats.latency.record(micros: corrected)
            }
            stats.rawLatency.record(micros: raw)
        }
        add(&metrics.total)
        add(&metrics.byName[RunMetrics.group(step.name, in: metrics.byName), default: RequestStats()])
        for tag in step.tags { add(&metrics.byTag[RunMetrics.group(tag, in: metrics.byTag), default: RequestStats()]) }
        for check in outcome.checks {
            if check.passed { metrics.checks[check.description, default: CheckTally()].passed += 1 } else { metrics.checks[check.description, default: CheckTally()].failed += 1 }
        }
        if let error = outcome.error { metrics.errors[error, default: ErrorTally()].record(outcome.errorDetail ?? step.name) }
        if let path {
            var figures = metrics.byPath.removeValue(forKey: path) ?? PathMetrics()
            add(&figures.total)
            add(&figures.byName[RunMetrics.group(step.name, in: figures.byName), default: RequestStats()])
            for tag in step.tags { add(&figures.byTag[RunMetrics.group(tag, in: figures.byTag), default: RequestStats()]) }
            for check in outcome.checks {
                if check.passed { figures.checks[check.description, default: CheckTally()].passed += 1 } else { figures.checks[check.description, default: CheckTally()].failed += 1 }
            }
            metrics.byPath[path] = figures
        }
    }

    /// The TLS handshake of a connection opened for `step`, counted overall, under its name
    /// and tags, and on its path under a canary split.
    func handshake(step: Step, nanoseconds: UInt64, path: TrafficPath?) {
        let micros = nanoseconds / 1000
        metrics.total.tlsHandshake.record(micros: micros)
        metrics.byName[RunMetrics.group(step.name, in: metrics.byName), default: RequestStats()].tlsHandshake.record(micros: micros)
        for tag in step.tags { metrics.byTag[RunMetrics.group(tag, in: metrics.byTag), default: RequestStats()].tlsHandshake.record(micros: micros) }
        if let path { metrics.byPath[path, default: PathMetrics()].total.tlsHandshake.record(micros: micros) }
    }

    func iterationFinished() { metrics.iterations += 1 }

    /// A request still in flight when the run was halted: a timeout, noted as unfinished.
    func unfinished(step: Step, intended: UInt64, sent: UInt64, detail: String) {
        var outcome = StepOutcome()
        outcome.error = .timeout
        outcome.errorDetail = detail
        record(step: step, intended: intended, sent: sent, ended: MonotonicClock.now(), status: nil, outcome: outcome, correctionInterval: nil)
        metrics.unfinished += 1
    }

    /// An event expectation of a flow scenario: counted as a check (it is not a request).
    func eventChecked(_ check: String, passed: Bool) {
        if passed { metrics.checks[check, default: CheckTally()].passed += 1 } else { metrics.checks[check, default: CheckTally()].failed += 1 }
    }
    func iterationDropped() { metrics.droppedIterations += 1 }
    func lateness(nanoseconds: UInt64) { metrics.schedulerLateness.record(micros: nanoseconds / 1000) }

    /// An iteration that could not run a step (a feeder ran out of rows).
    func failed(_ kind: ErrorClass, _ detail: String) { metrics.errors[kind, default: ErrorTally()].record(detail) }

    /// What was measured since the last call.
    func take() -> RunMetrics {
        defer { metrics = RunMetrics() }
        return metrics
    }

    private static let statusTexts: [String] = (0..<600).map(String.init)
    static func statusText(_ status: Int) -> String { status >= 0 && status < 600 ? statusTexts[status] : String(status) }
}
