package import Foundation
import HTTPWire
package import LoadMetrics
import NIOCore
import NIOPosix
import SLO
package import Steps
import Synchronization

/// How a run is made.
package struct RunOptions: Sendable {
    package var shard = Shard.whole
    /// Event loops (threads) sending requests.
    package var eventLoops = max(1, min(System.coreCount, 8))
    package var userAgent = "tollgate"
    /// Where flow scenarios' event expectations are answered.
    package var events: (any EventSource)?
    /// The instant the schedule starts (shards that start together): the event loops, the
    /// target's probe and the scenarios are made before it, so that none of them delays it.
    package var startAt: Date?
    /// What the shards of one run share (`--run-id`, or the start their barrier agreed on): a
    /// merge refuses shards of different runs.
    package var runID: String?
    /// Under a canary split: how each response says which path served it; the result then keeps
    /// each path's figures apart (`RunMetrics.byPath`).
    package var split: PathSplit?
    /// Under a canary split by URL (no header to tell the paths apart): each user sends to the
    /// baseline or the canary URL, `percent` of them to the canary; their figures are kept apart.
    package var targets: TargetSplit?

    package init() {}
}

/// What the progress display shows, once a second.
package struct ProgressSnapshot: Sendable {
    package var elapsed: Double
    package var planned: Double
    /// Per scenario: name, executor and stage.
    package var scenarios: [String]
    /// Requests per second in the last second.
    package var rate: Double
    /// Iterations per second the open-model executors aim at now.
    package var targetRate: Double
    /// p95 of the last second, milliseconds.
    package var p95: Double
    /// Errors over requests so far, 0–1.
    package var errorRate: Double
    package var requests: Int
    package var activeVUs: Int
    package var dropped: Int
    /// Everything measured so far (what `--metrics-addr` serves).
    package var metrics: RunMetrics
}

/// How a run ended.
package struct RunOutcome: Sendable {
    package var metrics: RunMetrics
    package var startedAt: Date
    package var endedAt: Date
    /// Seconds from the first iteration to the last response.
    package var duration: Double
    /// Why the run stopped early (Ctrl-C, an objective's abort), if it did.
    package var abortedBecause: String?
}

/// The target refused or did not answer the connection tried before the run.
package struct TargetUnreachable: Error, CustomStringConvertible {
    package let target: String
    package let reason: String
    package var description: String { "the target \(target) is unreachable: \(reason)" }
}

/// One load run: starts every scenario on a shared set of event loops, gathers their figures
/// once a second into the time series, reports progress, and stops early when asked or when
/// an `abort_on_fail` objective stays breached.
package final class LoadRun: Sendable {
    package let profile: LoadProfile
    package let target: TargetURL
    let options: RunOptions
    private let runners: Mutex<[ExecutorRunner]> = Mutex([])
    private let stopReason = Mutex<String?>(nil)

    package init(profile: LoadProfile, target: TargetURL, options: RunOptions = RunOptions()) {
        self.profile = profile.sharded(options.shard)
        self.target = target
        self.options = options
    }

    /// Stops starting iterations; those in flight finish within each scenario's graceful stop.
    package func stop(because reason: String) {
        stopReason.withLock { if $0 == nil { $0 = reason } }
        for runner in runners.withLock({ $0 }) { runner.runtime.stopping.store(true, ordering: .relaxed) }
    }

    package func run(progress: @Sendable (ProgressSnapshot) -> Void = { _ in }) async throws -> RunOutcome {
        let group = WireLoopGroup(numberOfThreads: options.eventLoops, name: "tollgate.load")
        // Checks with regular expressions run here, never on the loops.
        let checkPool = await CheckPool.start()
        do {
            let outcome = try await run(on: group, checkPool: checkPool, progress: progress)
            try? await checkPool.shutdownGracefully()
            await group.shutdownGracefully()
            return outcome
        } catch {
            try? await checkPool.shutdownGracefully()
            await group.shutdownGracefully()
            throw error
        }
    }

    private func run(on group: WireLoopGroup, checkPool: NIOThreadPool, progress: @Sendable (ProgressSnapshot) -> Void) async throws -> RunOutcome {
        let loops = group.loops
        // One TLS context for the run: its session cache lets new connections resume.
        let usesTLS = target.usesTLS || (options.targets.map { $0.baseline.usesTLS || $0.canary.usesTLS } ?? false)
        let tls = usesTLS ? try TLSClientContext(settings: profile.tls) : nil
        try await probe(on: loops[0], tls: tls)
        let collectors = loops.map { _ in LoopCollector() }
        let sequence = RunSequence(shard: options.shard)
        let made = profile.scenarios.map { scenario in
            ExecutorRunner(runtime: ScenarioRuntime(scenario: scenario, target: target, collectors: collectors, sequence: sequence,
                                                    userAgent: options.userAgent, events: options.events, split: options.split, targets: options.targets,
                                                    checkPool: checkPool, tls: tls),
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

    /// One connection to the target before any load (over TLS, a whole handshake), so an
    /// unreachable target or a refused certificate is a clear error.
    private func probe(on loop: WireLoop, tls: TLSClientContext?) async throws {
        for target in options.targets.map({ [$0.baseline, $0.canary] }) ?? [target] {
            do {
                let opened = try await Connector(target: target, connectTimeout: .seconds(5), tls: tls).connect(on: loop).get()
                loop.execute { opened.connection.close() }
            } catch {
                throw TargetUnreachable(target: target.description, reason: "\(error)")
            }
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
