import ArgumentParser
import Foundation
import Gate
import SLO
import Steps

/// `tollgate gate`: everything a rollout stage must pass, and one verdict — sets the gateway's
/// rollout to the stage, verifies the contracts, runs the flows and the stage's load, compares
/// the data, and evaluates the migration guide's triggers (the `Gate` library does the work).
struct GateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Check a rollout stage: contracts, flows, the stage's load, data consistency — one verdict.",
        discussion: """
            The gate takes the gateway's rollout (a second gate is refused), sets it to --stage, verifies the contracts, runs
            the flows and the stage's load profile through the gateway, compares the tables the gate file names, and evaluates
            every trigger (defaults: error rate > 1 % → roll back, p95 > 500 ms → reduce traffic by half, payment failures
            > 0.1 % → roll back, data inconsistency > 0.01 % → pause, a failed contract or flow → roll back; a trigger with
            nothing to judge → pause). With --auto-rollback the verdict is applied to the gateway; without it the gateway stays
            at the stage. Ctrl-C stops the gate within seconds, puts the gateway back where it was, and writes what finished.
            Exit status: 0 proceed, 3 reduce traffic, 4 pause, 5 roll back, 2 the gate could not run (or was interrupted).
            """)

    @Argument(help: "The gate file (YAML; see loadprofiles/README.md).") var gateFile: String
    @Option(help: "The rollout stage to check, in percent (a stage the gate file lists).") var stage: Int
    @Flag(help: "Apply the verdict to the gateway: reduce → half the stage, roll back → 0 %.") var autoRollback = false
    @Option(help: "Shorten the stage's load to this (its shape kept), e.g. 20s; a stage with no load (none) watches the traffic already there this long (default 1m).") var duration: String?
    @Option(help: "Kafka brokers for the flows' event expectations (default: the gate file's kafka_brokers).") var kafkaBrokers: String?
    @OptionGroup var reports: ReportOptions
    @Flag(help: "No live progress during the load.") var quiet = false

    func validate() throws {
        var problems: [String] = []
        if !(1...100).contains(stage) { problems.append("--stage must be a rollout percentage from 1 to 100") }
        if let duration { if let seconds = DurationText.seconds(duration), seconds > 0 {} else { problems.append("--duration '\(duration)' is not a duration longer than 0 (20s, 5m)") } }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        var options = GateOptions(stage: stage)
        options.autoRollback = autoRollback
        options.duration = duration.flatMap(DurationText.seconds)
        options.kafkaBrokers = kafkaBrokers
        options.tollgateVersion = Tollgate.version
        let console = GateConsole(quiet: quiet, json: reports.json, html: reports.html, junit: reports.junit, defaultStem: "\(reports.reportDir)/gate-stage-\(stage)")
        let report = await console.check(file: gateFile, options: options)
        throw ExitCode(report.abortedBecause != nil ? ExitStatus.error : report.verdict.exitCode)
    }
}
