import HTTPWire
import LoadMetrics
import Steps

/// The figures one event loop measured since the coordinator last took them. Lock-free: only
/// its loop records into it, and the coordinator takes it by running `take` on that loop.
final class LoopCollector: @unchecked Sendable {
    // Safe: every access happens on the one event loop this collector belongs to.
    private var metrics = RunMetrics()
    /// Status codes of every response since the last take (written into `metrics.total` then).
    private var totalStatuses = StatusTally()
    /// The figures by step name since the last take, kept here rather than in `metrics.byName`
    /// with their status codes counted apart, and found through `namedIndex`.
    private var named: [NamedFigures] = []
    private var namedIndex: [String: Int] = [:]
    /// The step last recorded and the index of its name's figures: requests of one step in a row
    /// (a profile of one request, a sequence run over and over) skip the lookup by name.
    private var lastStep: ObjectIdentifier?
    private var lastIndex = 0

    private struct NamedFigures {
        let name: String
        var stats = RequestStats()
        var statuses = StatusTally()
    }

    /// Records one finished request, and under a canary split on the `path` that served it.
    /// Times are monotonic nanoseconds.
    func record(step: Step, intended: UInt64, sent: UInt64, ended: UInt64, status: Int?, outcome: StepOutcome, correctionInterval: UInt64?,
                path: TrafficPath? = nil) {
        let raw = (ended &- sent) / 1000
        let corrected = (ended &- min(intended, sent)) / 1000
        func add(_ stats: inout RequestStats, countingStatus: Bool = true) {
            stats.requests += 1
            if outcome.error != nil { stats.errors += 1 }
            if outcome.error != nil && status == nil { stats.unanswered += 1 }
            if countingStatus, let status { stats.statuses[Self.statusText(status), default: 0] += 1 }
            // A connection that never opened has no latency to show.
            guard outcome.error != .connect, outcome.error != .tls else { return }
            if let correctionInterval, correctionInterval > 0 {
                stats.latency.record(micros: corrected, expectedInterval: correctionInterval / 1000)
            } else {
                stats.latency.record(micros: corrected)
            }
            stats.rawLatency.record(micros: raw)
        }
        func addNamed(_ figures: inout NamedFigures) {
            add(&figures.stats, countingStatus: false)
            if let status { figures.statuses.count(status) }
        }
        add(&metrics.total, countingStatus: false)
        if let status { totalStatuses.count(status) }
        addNamed(&named[index(of: step)])
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
        named[index(of: step)].stats.tlsHandshake.record(micros: micros)
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
        defer {
            metrics = RunMetrics()
            totalStatuses = StatusTally()
            named = []
            namedIndex = [:]
            lastStep = nil
        }
        totalStatuses.write(into: &metrics.total.statuses)
        for figures in named {
            var stats = figures.stats
            figures.statuses.write(into: &stats.statuses)
            metrics.byName[figures.name] = stats
        }
        return metrics
    }

    /// Where the figures of `step`'s name are in `named` (added when new): its group, as
    /// `RunMetrics.group` would count it over the names counted here.
    private func index(of step: Step) -> Int {
        let identity = ObjectIdentifier(step)
        if identity == lastStep { return lastIndex }
        let name = namedIndex.count < RunMetrics.maximumGroups || namedIndex[step.name] != nil ? step.name : RunMetrics.otherGroup
        let index: Int
        if let known = namedIndex[name] {
            index = known
        } else {
            index = named.count
            named.append(NamedFigures(name: name))
            namedIndex[name] = index
        }
        lastStep = identity
        lastIndex = index
        return index
    }

    private static let statusTexts: [String] = (0..<600).map(String.init)
    static func statusText(_ status: Int) -> String { status >= 0 && status < 600 ? statusTexts[status] : String(status) }
}

/// Responses by status code, counted in an array: no string built or hashed per response. Codes
/// outside 100–599 (a broken server's) are counted by value.
struct StatusTally {
    private var counts = [Int](repeating: 0, count: 500)
    private var unusual: [Int: Int] = [:]

    mutating func count(_ status: Int) {
        if status >= 100 && status < 600 { counts[status - 100] += 1 } else { unusual[status, default: 0] += 1 }
    }

    /// Adds the counts to `statuses`, keyed by the code's text as `RequestStats` keeps them.
    func write(into statuses: inout [String: Int]) {
        for (offset, count) in counts.enumerated() where count > 0 { statuses[LoopCollector.statusText(offset + 100), default: 0] += count }
        for (status, count) in unusual { statuses[LoopCollector.statusText(status), default: 0] += count }
    }
}
