import CanaryJudge
import Consistency
import Flows
import Foundation
import Gate
import LoadEngine
import LoadMetrics
import Reports
import ResponseParity
import SLO
import Steps
import Transport
import Verifier

/// A rollout gate run from the command line (`tollgate gate`, `tollgate demo`): its progress
/// printed, Ctrl-C honoured (the first stops it and puts the rollout back; a second exits at
/// once, still putting the rollout back and writing the reports named), its reports written.
struct GateConsole: Sendable {
    var quiet = false
    var json: String?
    var html: String?
    var junit: String?
    var defaultStem: String
    /// Write the stage's own reports (a whole rollout writes one report of every stage instead).
    var writesReports = true

    /// The report, or the stop report of a gate that could not start (`abortedBecause` set).
    func check(file: String, options: GateOptions) async -> GateReport {
        // Before the gate moves the rollout (GateRun.start does): a signal from here on is handled.
        ShutdownSignals.install()
        let run: GateRun
        do { run = try await GateRun.start(file: file, options: options) } catch {
            FileHandle.standardError.write(Data("Error: \(error.message)\n".utf8))
            let report = GateRun.stopReport(file: file, gate: error.gate, stage: options.stage, started: error.started, problem: error.message,
                                            aborted: error.pauses ? nil : "could not start: \(error.message)",
                                            rollout: GateReport.Rollout(before: nil, during: options.stage, after: nil, applied: false,
                                                                        note: error.held ? "Another gate holds the rollout: this one moved nothing and pauses."
                                                                            : error.pauses ? "The rollout did not take the stage; the gate put it back and pauses."
                                                                            : "The gate could not start; it did not change the gateway's rollout."))
            if error.pauses { print(report.summaryText()) }
            if json != nil || html != nil || junit != nil { write(report) }
            return report
        }
        let console = self
        ShutdownSignals.shared.beforeExiting {
            // Commands the gate was running (a read-back, a set) end first: none outlives it.
            BoundedCommand.endAll()
            run.restoreNow()
            console.write(GateRun.stopReport(file: file, gate: run.gate, stage: options.stage, started: run.started,
                                             problem: "stopped by a second signal before the gate finished", aborted: "interrupted twice (Ctrl-C or SIGTERM)",
                                             rollout: GateReport.Rollout(before: run.before, during: options.stage, after: run.before, applied: false,
                                                                         note: "Stopped by a second signal: the gateway was put back at \(run.before) %.")))
        }
        let signals = Task {
            await ShutdownSignals.shared.wait()
            guard !Task.isCancelled else { return }
            run.abort("interrupted (Ctrl-C or SIGTERM)")
            FileHandle.standardError.write(Data("\nStopping the gate: the gateway goes back to \(run.before) % (Ctrl-C again exits at once)…\n".utf8))
        }
        let display = ProgressDisplay(quiet: quiet)
        let report = await run.run { event in console.show(event, display: display) }
        signals.cancel()
        ShutdownSignals.shared.beforeExiting {}
        print(report.summaryText())
        write(report)
        return report
    }

    /// Writes the reports (those named, else under `defaultStem`), printing where.
    func write(_ report: GateReport) {
        guard writesReports else { return }
        do {
            for file in try report.write(json: json, html: html, junit: junit, defaultStem: defaultStem) { print("  report: \(file)") }
        } catch {
            FileHandle.standardError.write(Data("Error: could not write the reports: \(error)\n".utf8))
        }
    }

    /// One line or block per event; every detail is in the reports.
    func show(_ event: GateEvent, display: ProgressDisplay) {
        switch event {
        case .started(let gate, let before, let stage):
            print("Gate \(gate): stage \(stage) % (the rollout was at \(before) %, now \(stage) %)")
        case .contractsStarted(let pacts):
            print("\nContracts (\(pacts.joined(separator: ", "))):")
        case .contractFailed(let result):
            print("  ✗ \(result.consumer) → \(result.provider): \(result.description)")
        case .contractsFinished(let report):
            TreePrinter().summary(report)
        case .flowsStarted:
            print("\nFlows:")
        case .flowRun(let run):
            let failed = run.steps.first { $0.status == .failed }
            let paths = Set(run.steps.compactMap(\.path)).sorted()
            print("  \(run.passed ? "✓" : "✗") \(run.flow) #\(run.iteration)  \(String(format: "%.2f s", run.seconds))"
                  + (paths.isEmpty ? "" : "  (\(paths.joined(separator: " and ")))")
                  + (failed.map { "  — \($0.failure ?? "\($0.name): a check failed")" } ?? ""))
        case .loadStarted(let profile, let target):
            print("\nLoad: \(profile.name) (\(DurationText.describe(profile.duration))) against \(target)…")
            display.started(profile: profile, target: target)
        case .loadProgress(let snapshot):
            display.update(snapshot)
        case .loadFinished(let result):
            display.finish()
            let total = GroupSummary(result.metrics.total, duration: result.run.durationSeconds)
            print(String(format: "  %d requests, %.1f/s, %d errors (%.2f %%), latency p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, %d dropped iterations",
                         total.requests, total.ratePerSecond, total.errors, total.errorRatePercent, total.latency.p50, total.latency.p95, total.latency.p99,
                         result.metrics.droppedIterations))
        case .metricsStarted:
            print("\nService metrics:")
        case .metric(let check, let reading):
            print(String(format: "  %@ %@: %.0f of %.0f requests failed (%.2f %%)", reading.errorPercent > check.threshold ? "✗" : "✓", check.name,
                         reading.errors, reading.requests, reading.errorPercent))
        case .measured(let check, let measurement):
            let value = measurement.value.map { String(format: "%g", $0) } ?? "no value (\(measurement.problem ?? "?"))"
            let passed = measurement.value.map { check.comparison.holds($0, check.threshold) } ?? false
            display.interject(String(format: "  %@ %@ at %.0fs: %@ (%@)", passed ? "✓" : "✗", check.name, measurement.at, value, check.condition))
        case .consistencyStarted:
            print("\nData consistency:")
        case .settling(let unanswered, let seconds):
            print("  \(unanswered) requests were unanswered when the load ended: waiting \(Int(seconds)) s for them to settle before comparing…")
        case .compared(let name, let comparison):
            print("  \(comparison.inconsistentRows == 0 ? "✓" : "✗") \(name): \(comparison.sourceRows) vs \(comparison.targetRows) rows, "
                  + "\(comparison.atLeast ? "at least " : "")\(String(format: "%.4f", comparison.inconsistencyPercent)) % inconsistent"
                  + (comparison.recheckRounds > 0 ? " (first pass \(comparison.firstPassInconsistentRows) rows, \(comparison.recheckRounds) re-check(s))" : ""))
        case .judged(let judgement):
            print("\nCanary judge, " + judgement.text())
        case .observing(let seconds):
            print("\nNo load at this stage: watching the traffic already there for \(DurationText.describe(seconds))…")
        case .parityStarted:
            print("\nResponse parity (each request to the old path twice, the new path once):")
        case .parityFinished(let report):
            print(report.text())
        case .warning(let text):
            FileHandle.standardError.write(Data("Warning: \(text)\n".utf8))
        case .stopping:
            break
        }
    }
}
