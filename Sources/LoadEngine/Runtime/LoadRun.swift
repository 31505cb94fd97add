import Foundation
import HTTPWire
import LoadMetrics
import NIOCore
import NIOPosix
import SLO
import Steps
import Synchronization

/// How a run is made.
public struct RunOptions: Sendable {
    public var shard = Shard.whole
    /// Event loops (threads) sending requests.
    public var eventLoops = max(1, min(System.coreCount, 8))
    public var userAgent = "tollgate"
    /// Where flow scenarios' event expectations are answered.
    public var events: (any EventSource)?
    /// The instant the schedule starts (shards that start together): the event loops, the
    /// target's probe and the scenarios are made before it, so that none of them delays it.
    public var startAt: Date?
    /// What the shards of one run share (`--run-id`, or the start their barrier agreed on): a
    /// merge refuses shards of different runs.
    public var runID: String?

    public init() {}
}

/// What the progress display shows, once a second.
public struct ProgressSnapshot: Sendable {
    public var elapsed: Double
    public var planned: Double
    /// Per scenario: name, executor and stage.
    public var scenarios: [String]
    /// Requests per second in the last second.
    public var rate: Double
    /// Iterations per second the open-model executors aim at now.
    public var targetRate: Double
    /// p95 of the last second, milliseconds.
    public var p95: Double
    /// Errors over requests so far, 0–1.
    public var errorRate: Double
    public var requests: Int
    public var activeVUs: Int
    public var dropped: Int
    /// Everything measured so far (what `--metrics-addr` serves).
    public var metrics: RunMetrics
}

/// How a run ended.
public struct RunOutcome: Sendable {
    public var metrics: RunMetrics
    public var startedAt: Date
    public var endedAt: Date
    /// Seconds from the first iteration to the last response.
    public var duration: Double
    /// Why the run stopped early (Ctrl-C, an objective's abort), if it did.
    public var abortedBecause: String?
}

/// The target refused or did not answer the connection tried before the run.
public struct TargetUnreachable: Error, CustomStringConvertible {
    public let target: String
    public let reason: String
    public var description: String { "the target \(target) is unreachable: \(reason)" }
}

/// One load run: starts every scenario on a shared set of event loops, gathers their figures
/// once a second into the time series, reports progress, and stops early when asked or when
/// an `abort_on_fail` objective stays breached.
public final class LoadRun: Sendable {
    public let profile: LoadProfile
    public let target: TargetURL
    let options: RunOptions
    private let runners: Mutex<[ExecutorRunner]> = Mutex([])
    private let stopReason = Mutex<String?>(nil)

    public init(profile: LoadProfile, target: TargetURL, options: RunOptions = RunOptions()) {
        self.profile = profile.sharded(options.shard)
        self.target = target
        self.options = options
    }

    /// Stops starting iterations; those in flight finish within each scenario's graceful stop.
    public func stop(because reason: String) {
        stopReason.withLock { if $0 == nil { $0 = reason } }
        for runner in runners.withLock({ $0 }) { runner.runtime.stopping.store(true, ordering: .relaxed) }
    }

    public func run(progress: @Sendable (ProgressSnapshot) -> Void = { _ in }) async throws -> RunOutcome {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: options.eventLoops)
        // Checks with regular expressions run here, never on the loops.
        let checkPool = await CheckPool.start()
        do {
            let outcome = try await run(on: group, checkPool: checkPool, progress: progress)
            try? await checkPool.shutdownGracefully()
            try? await group.shutdownGracefully()
            return outcome
        } catch {
            try? await checkPool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func run(on group: MultiThreadedEventLoopGroup, checkPool: NIOThreadPool, progress: @Sendable (ProgressSnapshot) -> Void) async throws -> RunOutcome {
        let loops = Array(group.makeIterator())
        try await probe(on: loops[0])
        let collectors = loops.map { _ in LoopCollector() }
        let sequence = RunSequence(shard: options.shard)
        let made = profile.scenarios.map { scenario in
            ExecutorRunner(runtime: ScenarioRuntime(scenario: scenario, target: target, collectors: collectors, sequence: sequence,
                                                    userAgent: options.userAgent, events: options.events, checkPool: checkPool),
                           loops: loops)
        }
        runners.withLock { $0 = made }
        if stopReason.withLock({ $0 }) != nil { for runner in made { runner.runtime.stopping.store(true, ordering: .relaxed) } }

        if let startAt = options.startAt {
            // In slices, so that a stop meanwhile ends the wait.
            while stopReason.withLock({ $0 }) == nil {
                let wait = startAt.timeIntervalSinceNow
                if wait <= 0 { break }
                try? await Task.sleep(for: .seconds(min(wait, 0.1)))
            }
        }
        let startedAt = Date()
        let runStart = MonotonicClock.now()
        for runner in made { runner.start(runStart: runStart) }
        let allFinished = Task { for runner in made { await runner.waitUntilFinished() } }
        let finished = Atomic(false)
        let watcher = Task { await allFinished.value; finished.store(true, ordering: .relaxed) }

        var cumulative = RunMetrics()
        var breachedSince: [Int: Double] = [:]
        var second = 0
        while true {
            second += 1
            let due = runStart + UInt64(second) * 1_000_000_000
            // Sleep to the next second, waking early when every scenario is done, and note the
            // most users busy at once meanwhile.
            var busiest = 0
            while !finished.load(ordering: .relaxed), MonotonicClock.now() < due {
                busiest = max(busiest, made.reduce(0) { $0 + $1.activeVUs })
                try? await Task.sleep(nanoseconds: min(20_000_000, due &- MonotonicClock.now()))
            }
            let done = finished.load(ordering: .relaxed)
            let now = MonotonicClock.now()
            let elapsed = Double(now - runStart) / 1e9
            var delta = await Self.collect(collectors, loops)
            delta.droppedIterations += made.reduce(0) { $0 + $1.takeScheduleDrops() }
            var point = IntervalPoint(start: Double(second - 1), length: done ? max(0.001, elapsed - Double(second - 1)) : 1)
            point.requests = delta.total.requests
            point.errors = delta.total.errors
            point.droppedIterations = delta.droppedIterations
            point.iterations = delta.iterations
            point.latency = CompactHistogram(delta.total.latency)
            // The rate aimed at in the middle of this second.
            point.targetRate = made.reduce(0) { $0 + $1.executor.targetRate(at: Double(second) - 0.5 - $1.runtime.scenario.startTime) }
            point.activeVUs = max(busiest, made.reduce(0) { $0 + $1.activeVUs })
            delta.timeSeries = TimeSeries()
            cumulative.merge(delta)
            cumulative.timeSeries.append(point)
            progress(ProgressSnapshot(elapsed: elapsed, planned: profile.duration, scenarios: describeScenarios(made, elapsed: elapsed),
                                      rate: point.ratePerSecond, targetRate: point.targetRate, p95: point.latency.milliseconds(atPercentile: 95),
                                      errorRate: cumulative.total.errorRate, requests: cumulative.total.requests, activeVUs: point.activeVUs,
                                      dropped: cumulative.droppedIterations, metrics: cumulative))
            if done { break }
            for (index, objective) in profile.objectives.enumerated() where objective.abortOnFail {
                if objective.evaluate(cumulative, duration: elapsed).passed {
                    breachedSince[index] = nil
                } else if let since = breachedSince[index] {
                    if elapsed - since >= objective.abortAfter { stop(because: "objective \(objective.expression) stayed breached for \(DurationText.describe(objective.abortAfter))") }
                } else {
                    breachedSince[index] = elapsed
                    if objective.abortAfter == 0 { stop(because: "objective \(objective.expression) breached") }
                }
            }
        }
        await watcher.value
        let duration = Double(MonotonicClock.now() - runStart) / 1e9
        return RunOutcome(metrics: cumulative, startedAt: startedAt, endedAt: Date(), duration: duration,
                          abortedBecause: stopReason.withLock { $0 })
    }

    /// Takes every loop's figures since the last call.
    private static func collect(_ collectors: [LoopCollector], _ loops: [any EventLoop]) async -> RunMetrics {
        var merged = RunMetrics()
        for (index, loop) in loops.enumerated() {
            let collector = collectors[index]
            if let delta = try? await loop.submit({ collector.take() }).get() { merged.merge(delta) }
        }
        return merged
    }

    /// One connection to the target before any load, so an unreachable target is a clear error.
    private func probe(on loop: any EventLoop) async throws {
        do {
            let channel = try await Connector(target: target, connectTimeout: .seconds(5)).connect(on: loop).get()
            try? await channel.close()
        } catch {
            throw TargetUnreachable(target: target.description, reason: "\(error)")
        }
    }

    private func describeScenarios(_ runners: [ExecutorRunner], elapsed: Double) -> [String] {
        runners.map { runner in
            let scenario = runner.runtime.scenario
            let local = elapsed - scenario.startTime
            var text = "\(scenario.name) (\(scenario.executor.name))"
            if local < 0 { return text + " starts in \(DurationText.describe(-local))" }
            switch scenario.executor {
            case .rampingArrivalRate(_, let stages, _, _), .rampingVUs(_, let stages):
                var end = 0.0
                for (index, stage) in stages.enumerated() {
                    end += stage.duration
                    if local < end { text += " stage \(index + 1)/\(stages.count)"; break }
                }
            default: break
            }
            return text
        }
    }
}
