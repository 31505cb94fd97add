import ArgumentParser
import Consistency
import ContractCore
import Flows
import Foundation
import LoadEngine
import Reports
import SLO
import Synchronization
import Transport
import Verifier

/// `tollgate gate`: everything a rollout stage must pass, and one verdict — sets the gateway's
/// rollout to the stage, verifies the contracts, runs the flows and the stage's load, compares
/// the data, and evaluates the migration guide's triggers.
struct GateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Check a rollout stage: contracts, flows, the stage's load, data consistency — one verdict.",
        discussion: """
            The gate sets the gateway's rollout to --stage (PUT /admin/rollout), verifies the contracts, runs the flows
            and the stage's load profile through the gateway, compares the tables the gate file names, and evaluates every
            trigger (defaults: error rate > 1 % → roll back, p95 > 500 ms → reduce traffic by half, payment failures
            > 0.1 % → roll back, data inconsistency > 0.01 % → pause, a failed contract or flow → roll back).
            With --auto-rollback the verdict is applied to the gateway; without it the gateway stays at the stage.
            Ctrl-C stops the gate, puts the gateway back where it was, and writes what finished.
            Exit status: 0 proceed, 3 reduce traffic, 4 pause, 5 roll back, 2 the gate could not run (or was interrupted).
            """)

    @Argument(help: "The gate file (YAML; see loadprofiles/README.md).") var gateFile: String
    @Option(help: "The rollout stage to check, in percent (a stage the gate file lists).") var stage: Int
    @Flag(help: "Apply the verdict to the gateway: reduce → half the stage, roll back → 0 %.") var autoRollback = false
    @Option(help: "Shorten the stage's load to this (its shape kept), e.g. 20s.") var duration: String?
    @Option(help: "Kafka brokers for the flows' event expectations (default: the gate file's kafka_brokers).") var kafkaBrokers: String?
    @Option(help: "Write the JSON report (tollgate.gate/v1) here.") var json: String?
    @Option(help: "Write the HTML report here.") var html: String?
    @Option(help: "Write the JUnit XML report here.") var junit: String?
    @Option(help: "Where reports go when none is named.") var reportDir = "reports"
    @Flag(help: "No live progress during the load.") var quiet = false

    func validate() throws {
        var problems: [String] = []
        if !(1...100).contains(stage) { problems.append("--stage must be a rollout percentage from 1 to 100") }
        if let duration { if let seconds = DurationText.seconds(duration), seconds > 0 {} else { problems.append("--duration '\(duration)' is not a duration longer than 0 (20s, 5m)") } }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        let report = try await evaluate()
        throw ExitCode(report.abortedBecause != nil ? ExitStatus.error : report.verdict.exitCode)
    }

    /// Runs every part of the gate, moves the rollout as the verdict and the flags say, writes
    /// and returns the report. `environment` fills the files' `${NAME:-default}`.
    func evaluate(environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> GateReport {
        let started = Date()
        let gate: GateFile, profile: LoadProfile, flows: [Flow]
        do {
            gate = try GateLoader.load(file: gateFile, environment: environment)
            guard let profileFile = gate.stages[stage] else {
                throw GateSetupError("\(gateFile): stages: no stage \(stage) (the file lists \(gate.stages.keys.sorted().map { "\($0)" }.joined(separator: ", ")))")
            }
            var stageProfile = try ProfileLoader.load(file: profileFile, environment: environment)
            stageProfile.target = gate.gateway.url
            // The guide's defaults keep the payment trigger only where some step is tagged payment.
            stageProfile.objectives = gate.objectivesAreDefaults ? gate.objectives.filter { stageProfile.unknownSelections(in: [$0]).isEmpty } : gate.objectives
            let unknown = stageProfile.unknownSelections(in: stageProfile.objectives)
            guard unknown.isEmpty else {
                throw GateSetupError("\(gateFile): slos: \(unknown.joined(separator: "; ")) in the stage profile \(profileFile)")
            }
            if let duration, let seconds = DurationText.seconds(duration) { stageProfile = stageProfile.shortened(to: seconds) }
            profile = stageProfile
            flows = try gate.flows.map { try FlowLoader.load(file: $0, environment: environment) }
        } catch let error as ProfileError {
            cannotStart("the gate's files have \(error.problems.count) problem(s):\n\(error)", gate: nil, started: started)
        } catch {
            cannotStart("\(error)", gate: nil, started: started)
        }
        let brokers = kafkaBrokers ?? gate.kafkaBrokers
        let topics = Set(flows.flatMap(\.topics)).union(profile.eventTopics)
        if !topics.isEmpty, brokers == nil {
            cannotStart("the flows expect events on \(topics.sorted().joined(separator: ", ")): give --kafka-brokers HOST:PORT (tollgate services up prints it) or kafka_brokers in \(gateFile)", gate: gate, started: started)
        }
        let admin = GatewayAdmin(url: gate.gateway.url)
        // Catch SIGINT/SIGTERM before the rollout moves, so an early Ctrl-C still puts it back.
        let signalsReady = ShutdownSignals.shared
        let before: Int
        do {
            before = try await admin.rollout()
            try await admin.authenticate(token: gate.gateway.adminToken, email: gate.gateway.adminEmail, password: gate.gateway.adminPassword)
            // A second gate on this gateway is refused while this one holds the rollout.
            try await admin.takeLease(holder: "gate \(gate.name) stage \(stage) (\(ProcessInfo.processInfo.hostName), pid \(ProcessInfo.processInfo.processIdentifier))")
            try await admin.setRollout(stage)
        } catch {
            await admin.releaseLease()
            cannotStart("\(error)", gate: gate, started: started)
        }
        let renewal = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(GatewayAdmin.leaseSeconds / 3))
                if !Task.isCancelled, !(await admin.renewLease()) {
                    FileHandle.standardError.write(Data("Warning: the gate lost its lease on \(admin.url)'s rollout; another gate may move it.\n".utf8))
                }
            }
        }
        defer { renewal.cancel() }
        // A second Ctrl-C exits at once, but not before the rollout is back where it was and the
        // reports named on the command line say so.
        let stopping = self, stopGate = gate
        ShutdownSignals.shared.beforeExiting {
            admin.restoreNow(before)
            stopping.writeStopReports(problem: "stopped by a second signal before the gate finished", aborted: "interrupted twice (Ctrl-C or SIGTERM)",
                                      gate: stopGate, started: started,
                                      rollout: GateReport.Rollout(before: before, during: stage, after: before, applied: false,
                                                                  note: "Stopped by a second signal: the gateway was put back at \(before) %."))
        }
        print("Gate \(gate.name): stage \(stage) % (the gateway was at \(before) %, now \(stage) %)")

        let abort = GateAbort()
        let signals = Task {
            await signalsReady.wait()
            abort.abort("interrupted (Ctrl-C or SIGTERM)")
            FileHandle.standardError.write(Data("\nStopping the gate: the gateway goes back to \(before) % (Ctrl-C again exits at once)…\n".utf8))
        }
        var parts = GateParts()
        // Service metrics: read now and after the load; the gate judges what happened in between.
        var baselines: [[PrometheusSample]?] = []
        for check in gate.metrics {
            do { baselines.append(try await admin.scrape(check.url)) } catch {
                baselines.append(nil)
                parts.problems.append("metrics \(check.name): \(error)")
            }
        }
        if let contracts = gate.contracts, !abort.isAborted {
            print("\nContracts (\(contracts.pacts.joined(separator: ", "))):")
            do { parts.verification = try await abort.unlessAborted { try await verify(contracts, token: admin.token, brokers: brokers) } } catch {
                parts.problems.append("contracts: \(error)")
            }
        }
        if !flows.isEmpty, !abort.isAborted {
            print("\nFlows through the gateway:")
            do {
                let target = TargetURL(gate.gateway.url)!, iterations = gate.flowIterations
                parts.flows = try await abort.unlessAborted { try await FlowCommand.run(flows, target: target, kafkaBrokers: brokers, iterations: iterations) { run in
                    // One line per run; every step is in the reports.
                    let failed = run.steps.first { $0.status == .failed }
                    Swift.print("  \(run.passed ? "✓" : "✗") \(run.flow) #\(run.iteration)  \(String(format: "%.2f s", run.seconds))"
                                + (failed.map { "  — \($0.failure ?? "\($0.name): a check failed")" } ?? ""))
                } }
            } catch { parts.problems.append("flows: \(error)") }
        }
        if !abort.isAborted {
            do { parts.load = try await runLoad(profile, target: gate.gateway.url, brokers: brokers, abort: abort) } catch {
                parts.problems.append("load: \(error)")
            }
        }
        if !abort.isAborted, !gate.metrics.isEmpty {
            print("\nService metrics:")
            for (check, baseline) in zip(gate.metrics, baselines) {
                guard let baseline else { continue }
                do {
                    let delta = check.rate.delta(before: baseline, after: try await admin.scrape(check.url))
                    print(String(format: "  %@ %@: %.0f of %.0f requests failed (%.2f %%)", delta.percent > check.threshold ? "✗" : "✓", check.name, delta.errors, delta.total, delta.percent))
                    parts.metrics.append((check, GateReport.MetricReading(name: check.name, url: check.url, requests: delta.total, errors: delta.errors, errorPercent: delta.percent)))
                } catch { parts.problems.append("metrics \(check.name): \(error)") }
            }
        }
        if !abort.isAborted, !gate.consistency.isEmpty {
            // Requests the load left unanswered may still be writing: give them their timeout (at most 30 s) before reading the tables.
            if let load = parts.load, load.metrics.unfinished > 0 {
                let wait = min(30, profile.scenarios.map(\.timeout).max() ?? 10)
                print("\n\(load.metrics.unfinished) requests were unanswered when the load ended: waiting \(Int(wait)) s for them to settle before comparing…")
                try? await Task.sleep(for: .seconds(wait))
            }
            print("\nData consistency:")
            for check in gate.consistency {
                do {
                    var pair = TablePair(source: check.source, target: check.target)
                    pair.table = check.table
                    pair.targetTable = check.targetTable
                    pair.key = check.key
                    pair.columns = check.columns
                    pair.map = check.map
                    pair.targetMayHaveMore = check.targetMayHaveMore
                    pair.token = admin.token
                    pair.recheck = RecheckPolicy(after: check.recheckAfter, rounds: check.rechecks)
                    let prepared = pair
                    let comparison = try await BlockingWork.run { try prepared.compare() }
                    print("  \(comparison.inconsistentRows == 0 ? "✓" : "✗") \(check.name): \(comparison.sourceRows) vs \(comparison.targetRows) rows, "
                          + "\(comparison.atLeast ? "at least " : "")\(String(format: "%.4f", comparison.inconsistencyPercent)) % inconsistent"
                          + (comparison.recheckRounds > 0 ? " (first pass \(comparison.firstPassInconsistentRows) rows, \(comparison.recheckRounds) re-check(s))" : ""))
                    parts.consistency.append((check.name, comparison))
                } catch { parts.problems.append("consistency \(check.name): \(error)") }
            }
        }
        signals.cancel()

        let triggers = parts.triggers(inconsistencyThreshold: gate.inconsistencyThreshold)
        let verdict = GateVerdict(stage: stage, triggers: triggers)
        var rollout = GateReport.Rollout(before: before, during: stage, after: stage, applied: false, note: "")
        do {
            if let reason = abort.reason {
                try await admin.setRollout(before)
                rollout.after = before
                rollout.note = "Stopped early (\(reason)): the gateway is back at \(before) %."
            } else if autoRollback && verdict.rolloutPercent != stage {
                try await admin.setRollout(verdict.rolloutPercent)
                rollout.after = verdict.rolloutPercent
                rollout.applied = true
                rollout.note = "--auto-rollback: the gateway now sends \(verdict.rolloutPercent) % of users to the new services."
            } else if verdict.rolloutPercent != stage {
                rollout.note = "The gateway stays at \(stage) %; the verdict asks for \(verdict.rolloutPercent) % (apply it with --auto-rollback or PUT /admin/rollout)."
            } else {
                rollout.note = "The gateway stays at \(stage) %."
            }
        } catch {
            rollout.after = nil
            rollout.note = "Could not set the gateway's rollout: \(error)"
        }
        renewal.cancel()
        await admin.releaseLease()
        ShutdownSignals.shared.beforeExiting {}
        var report = GateReport(gate: gate.name, source: gateFile, target: gate.gateway.url, startedAt: started, seconds: Date().timeIntervalSince(started),
                                rollout: rollout, verdict: verdict, triggers: triggers, verification: parts.verification, flows: parts.flows,
                                load: parts.load, consistency: parts.consistency, problems: parts.problems, abortedBecause: abort.reason)
        report.metrics = parts.metrics.map(\.reading)
        print(report.summaryText())
        let written = try report.write(json: json, html: html, junit: junit, defaultStem: "\(reportDir)/gate-stage-\(stage)")
        for file in written { print("  report: \(file)") }
        return report
    }

    /// The gate could not start (its files, the broker setting, the gateway): says why, still
    /// writes the reports asked for by name (verdict pause, marked aborted, the rollout untouched)
    /// so a CI step that collects them finds them, and exits 2.
    private func cannotStart(_ message: String, gate: GateFile?, started: Date) -> Never {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        writeStopReports(problem: message, aborted: "could not start: \(message)", gate: gate, started: started,
                         rollout: GateReport.Rollout(before: nil, during: stage, after: nil, applied: false,
                                                     note: "The gate could not start; it did not change the gateway's rollout."))
        Foundation.exit(ExitStatus.error)
    }

    /// Writes the reports named by `--json`/`--html`/`--junit` for a gate that stops before it
    /// has results (it could not start, or a second Ctrl-C ends it): verdict pause, aborted, why.
    private func writeStopReports(problem: String, aborted: String, gate: GateFile?, started: Date, rollout: GateReport.Rollout) {
        guard json != nil || html != nil || junit != nil else { return }
        var parts = GateParts()
        parts.problems = [problem]
        let triggers = parts.triggers(inconsistencyThreshold: gate?.inconsistencyThreshold ?? 0.01)
        let report = GateReport(gate: gate?.name ?? gateFile, source: gateFile, target: gate?.gateway.url ?? "", startedAt: started,
                                seconds: Date().timeIntervalSince(started), rollout: rollout,
                                verdict: GateVerdict(stage: stage, triggers: triggers), triggers: triggers, verification: nil, flows: nil,
                                load: nil, consistency: [], problems: [problem], abortedBecause: aborted)
        do {
            for file in try report.write(json: json, html: html, junit: junit, defaultStem: "\(reportDir)/gate-stage-\(stage)") {
                print("  report: \(file)")
            }
        } catch {
            FileHandle.standardError.write(Data("Error: could not write the reports: \(error)\n".utf8))
        }
    }

    /// Every pact of a provider the gate file maps, against that provider, with its provider states.
    private func verify(_ contracts: GateFile.Contracts, token: String?, brokers: String?) async throws -> VerificationReport {
        let pacts = try await PactLoader().load(contracts.pacts)
        // Only what failed, one line each; every interaction is in the reports. The admin token is a service credential too.
        let combined = try await ProviderContracts.verify(pacts, providerURL: { name in contracts.providers.first { $0.name == name }?.url },
                                                          credential: token, kafkaBrokers: brokers) { result in
            guard !result.outcome.isPassed, !result.pending else { return }
            Swift.print("  ✗ \(result.consumer) → \(result.provider): \(result.description)")
        }
        TreePrinter().summary(combined)
        return combined
    }

    private func runLoad(_ profile: LoadProfile, target: String, brokers: String?, abort: GateAbort) async throws -> LoadResult {
        var options = RunOptions()
        options.userAgent = "tollgate/\(Tollgate.version)"
        var events: KafkaEventSource?
        let profileTopics = profile.eventTopics
        if !profileTopics.isEmpty, let brokers { events = try await KafkaEventSource.start(brokers: brokers, topics: profileTopics.sorted()) }
        defer { events?.close() }
        options.events = events
        let run = LoadRun(profile: profile, target: TargetURL(target)!, options: options)
        abort.watch(run)
        defer { abort.watch(nil) }
        print("\nLoad: \(profile.name) (\(DurationText.describe(profile.duration))) through the gateway…")
        let display = ProgressDisplay(quiet: quiet)
        display.started(profile: run.profile, target: TargetURL(target)!)
        let outcome = try await run.run { display.update($0) }
        display.finish()
        let result = LoadResult(profile: run.profile, outcome: outcome, target: target, shard: .whole, tollgateVersion: Tollgate.version)
        // The figures the triggers read; every request group and the time series are in the reports.
        let total = GroupSummary(result.metrics.total, duration: result.run.durationSeconds)
        print(String(format: "  %d requests, %.1f/s, %d errors (%.2f %%), latency p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, %d dropped iterations",
                     total.requests, total.ratePerSecond, total.errors, total.errorRatePercent, total.latency.p50, total.latency.p95, total.latency.p99,
                     result.metrics.droppedIterations))
        return result
    }
}

/// What each part of a gate produced.
struct GateParts {
    var verification: VerificationReport?
    var flows: FlowReport?
    var load: LoadResult?
    var consistency: [(name: String, comparison: TableComparison)] = []
    var metrics: [(check: GateFile.MetricCheck, reading: GateReport.MetricReading)] = []
    var problems: [String] = []

    /// Every trigger, with its evidence: the parts' own (contracts, flows, data) and the load's objectives.
    func triggers(inconsistencyThreshold: Double) -> [GateTrigger] {
        var triggers: [GateTrigger] = []
        if let verification {
            let failures = verification.failures
            triggers.append(GateTrigger(name: "contract failures", value: Double(failures.count), threshold: 0, unit: "", breached: !failures.isEmpty,
                                        action: .rollback, evidence: failures.isEmpty ? "\(verification.results.count) interactions verified"
                                            : failures.prefix(5).map { "\($0.consumer) → \($0.provider): \($0.description)" }.joined(separator: "; ")))
        }
        if let flows {
            let failed = flows.runs.filter { !$0.passed }
            triggers.append(GateTrigger(name: "flow failures", value: Double(failed.count), threshold: 0, unit: "", breached: !failed.isEmpty, action: .rollback,
                                        evidence: failed.isEmpty ? "\(flows.runs.count) flow runs passed" : failed.prefix(5).map { run in
                                            let step = run.steps.first { $0.status == .failed }
                                            return "\(run.flow) #\(run.iteration): \(step?.failure ?? "\(step?.name ?? "a step"): a check failed")"
                                        }.joined(separator: "; ")))
        }
        if let load {
            for slo in load.slos {
                let expression = slo.objective.expression
                triggers.append(GateTrigger(name: String(expression.prefix { $0 != "<" && $0 != ">" }), value: slo.value, threshold: slo.objective.threshold,
                                            unit: slo.objective.unit, breached: !slo.passed, action: slo.objective.action,
                                            evidence: Self.evidence(for: slo.objective, in: load), inconclusive: slo.inconclusive))
            }
            if load.run.aborted {
                triggers.append(GateTrigger(name: "load completed", value: 0, threshold: 0, unit: "", breached: true, action: .pause,
                                            evidence: "the load stopped early: \(load.run.abortedBecause ?? "stopped")"))
            }
        }
        for (check, reading) in metrics {
            let selection = ([check.rate.counter] + check.rate.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
            triggers.append(GateTrigger(name: check.name, value: reading.errorPercent, threshold: check.threshold, unit: "%",
                                        breached: reading.errorPercent > check.threshold, action: check.action,
                                        evidence: String(format: "%.0f of %.0f requests (%@) answered %@ at %@", reading.errors, reading.requests,
                                                         selection, check.rate.errorSelection, check.url),
                                        inconclusive: reading.requests > 0 ? nil : "no requests (\(selection)) were counted at \(check.url) during the gate"))
        }
        if !consistency.isEmpty {
            let worst = consistency.max { $0.comparison.inconsistencyPercent < $1.comparison.inconsistencyPercent }!
            triggers.append(GateTrigger(name: "data inconsistency", value: worst.comparison.inconsistencyPercent, threshold: inconsistencyThreshold, unit: "%",
                                        breached: worst.comparison.inconsistencyPercent > inconsistencyThreshold, action: .pause,
                                        evidence: consistency.map { "\($0.name): \($0.comparison.summary)" }.joined(separator: "; ")))
        }
        if !problems.isEmpty {
            triggers.append(GateTrigger(name: "parts that could not run", value: Double(problems.count), threshold: 0, unit: "", breached: true, action: .pause,
                                        evidence: problems.joined(separator: "; ")))
        }
        return triggers
    }
}

extension GateParts {
    /// What a load objective's value is made of: the slowest requests for latency, the error
    /// classes (with an example each) for rates.
    static func evidence(for objective: Objective, in load: LoadResult) -> String {
        let metrics = load.metrics
        let run = "load \(load.run.profile): \(metrics.total.requests) requests, \(metrics.total.errors) errors in \(Int(load.run.durationSeconds.rounded())) s"
        switch objective.metric {
        case .latency(let percentile):
            let slowest = metrics.byName.map { ($0.key, $0.value.latency.milliseconds(atPercentile: percentile)) }.sorted { $0.1 > $1.1 }.prefix(3)
            return run + "; slowest: " + slowest.map { String(format: "%@ %.0f ms", $0.0, $0.1) }.joined(separator: ", ")
        case .errorRate, .paymentFailureRate:
            let classes = metrics.errors.sorted { $0.value.count > $1.value.count }.prefix(3)
            guard !classes.isEmpty else { return run }
            return run + "; " + classes.map { "\($0.key.rawValue) \($0.value.count)\($0.value.examples.first.map { " (e.g. \($0))" } ?? "")" }.joined(separator: ", ")
        default:
            return run
        }
    }
}

/// Why a gate stopped early, and the load run to stop with it.
final class GateAbort: Sendable {
    private let state = Mutex<(reason: String?, run: LoadRun?)>((nil, nil))

    var reason: String? { state.withLock { $0.reason } }
    var isAborted: Bool { reason != nil }

    /// Runs `work`, but returns nil as soon as the gate is aborted: the work is cancelled (it
    /// stops at its next check) and the gate goes on to put the rollout back and report.
    func unlessAborted<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T? {
        let task = Task { try await work() }
        let watcher = Task {
            while !isAborted, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(100)) }
            if isAborted { task.cancel() }
        }
        defer { watcher.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T?, any Error>) in
                let once = ResumeOnce(continuation)
                Task { once.resume(with: await task.result.map { Optional($0) }) }
                Task {
                    await watcher.value
                    if self.isAborted { once.resume(with: .success(nil)) }
                }
            }
        } onCancel: {
            task.cancel()
        }
    }

    func abort(_ reason: String) {
        let run = state.withLock { state -> LoadRun? in
            state.reason = state.reason ?? reason
            return state.run
        }
        run?.stop(because: reason)
    }

    func watch(_ run: LoadRun?) {
        let reason = state.withLock { state -> String? in
            state.run = run
            return state.reason
        }
        if let reason { run?.stop(because: reason) }
    }
}

/// Resumes a continuation once, whichever of several tasks comes first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = Mutex(continuation) }

    func resume(with result: Result<T, any Error>) { continuation.withLock { $0.take() }?.resume(with: result) }
}

struct GateSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
