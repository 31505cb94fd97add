import ArgumentParser
import Foundation
import Gate
import Reports
import SLO
import Steps

/// `tollgate rollout GATE.yaml`: the gate stage after stage, each verdict applied, until the
/// last stage holds or a stage asks to stop.
struct RolloutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Run a whole rollout: the gate at each stage in turn, each verdict applied, a bake between stages.",
        discussion: """
            Each stage is judged as `tollgate gate --stage N --auto-rollback` judges it: proceed → wait --bake, then the
            next stage; reduce → the halved stage is set and judged again, and the rollout stops there (exit 4); pause →
            stop at the stage (exit 4; --resume goes on from it); roll back → the rollout is set to 0 % (exit 5).
            --resume reads where the rollout is and starts at the next stage. One report covers every stage.
            Exit status: 0 the last stage was reached and held, 4 paused, 5 rolled back, 2 could not run (or interrupted).
            """)

    @Argument(help: "The gate file (YAML; see loadprofiles/README.md).") var gateFile: String
    @Option(help: "The stages in order, e.g. 10,25,50,100 (default: every stage the gate file lists).") var stages: String?
    @Option(help: "How long each stage that held is kept before the next (e.g. 10m).") var bake = "0s"
    @Flag(help: "Start at the stage after the one the rollout reads now.") var resume = false
    @Option(help: "Shorten each stage's load to this (its shape kept), e.g. 20s.") var duration: String?
    @Option(help: "Kafka brokers for the flows' event expectations (default: the gate file's kafka_brokers).") var kafkaBrokers: String?
    @OptionGroup var reports: ReportOptions
    @Flag(help: "No live progress during the loads.") var quiet = false

    func validate() throws {
        var problems: [String] = []
        if let stages, Self.parse(stages) == nil { problems.append("--stages '\(stages.prefix(80))' must be rising percentages from 1 to 100, e.g. 10,25,50,100") }
        if DurationText.seconds(bake).map({ $0 >= 0 && $0 <= 86_400 }) != true { problems.append("--bake '\(bake.prefix(20))' must be a duration up to 24h (0s for none)") }
        if let duration, DurationText.seconds(duration).map({ $0 > 0 }) != true { problems.append("--duration '\(duration.prefix(20))' is not a duration longer than 0") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    static func parse(_ text: String) -> [Int]? {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && (1...100).contains($0!) }) else { return nil }
        let stages = values.compactMap { $0 }
        return zip(stages, stages.dropFirst()).allSatisfy { $0 < $1 } ? stages : nil
    }

    func run() async throws {
        ShutdownSignals.install()
        let gate: GateFile
        do { gate = try GateLoader.load(file: gateFile) } catch {
            FileHandle.standardError.write(Data("Error: the gate's files have problems:\n\(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        let planned = stages.flatMap(Self.parse) ?? gate.allStages
        let unlisted = planned.filter { !gate.allStages.contains($0) }
        guard unlisted.isEmpty else {
            FileHandle.standardError.write(Data("Error: --stages: \(unlisted.map { "\($0) %" }.joined(separator: ", ")) not among the gate file's stages (\(gate.allStages.map(String.init).joined(separator: ", ")))\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        var report = RolloutReport(gate: gate.name, source: gateFile, startedAt: Date(), plannedStages: planned)
        let plan = RolloutPlan(stages: planned)
        var step = plan.start(at: 0)
        if resume {
            do {
                let current = try await GateRun.rolloutControl(gate).0.current()
                guard current == 0 || planned.contains(current) else {
                    throw GateSetupError("the rollout reads back \(current) %, which is not one of the stages (\(planned.map(String.init).joined(separator: ", "))): set it to one first")
                }
                print("Resuming: the rollout is at \(current) %.")
                step = plan.start(at: current)
            } catch {
                FileHandle.standardError.write(Data("Error: --resume: \(error)\n".utf8))
                throw ExitCode(ExitStatus.error)
            }
        }
        let bakeSeconds = DurationText.seconds(bake) ?? 0
        while true {
            switch step {
            case .judge(let percent, let profileStage, let afterReduction):
                print("\n═══ Stage \(percent) %\(afterReduction ? " (reduced; the \(profileStage) % profile)" : "") ═══")
                var options = GateOptions(stage: percent)
                options.profileStage = profileStage
                options.autoRollback = true
                options.duration = duration.flatMap(DurationText.seconds)
                // A stage with no load (`none`) watches the traffic already there for the bake time.
                if bakeSeconds > 0 { options.observationWindow = bakeSeconds }
                options.kafkaBrokers = kafkaBrokers
                options.tollgateVersion = Tollgate.version
                let stageReport = await GateConsole(quiet: quiet, defaultStem: "", writesReports: false).check(file: gateFile, options: options)
                report.stages.append(stageReport)
                step = plan.next(after: percent, verdict: stageReport.verdict, afterReduction: afterReduction, aborted: stageReport.abortedBecause != nil)
            case .bake(let percent, let next):
                if bakeSeconds > 0 { print("\nStage \(percent) % holds: keeping it \(bake) before \(next) % (Ctrl-C stops here, the rollout stays at \(percent) %)…") }
                let interrupted = await firstOf({ await ShutdownSignals.shared.wait(); return true },
                                                { try? await Task.sleep(for: .seconds(bakeSeconds)); return ShutdownSignals.shared.hasReceived })
                step = interrupted ? .finished(exitCode: 2, reason: "interrupted while \(percent) % was baking: the rollout stays there (--resume goes on)")
                    : .judge(percent: next, profileStage: next, afterReduction: false)
            case .finished(let exitCode, let reason):
                report.exitCode = exitCode
                report.reason = reason
                report.seconds = Date().timeIntervalSince(report.startedAt)
                report.rolloutPercent = report.stages.last?.rollout.after
                print(report.summaryText())
                do {
                    for file in try report.write(json: reports.json, html: reports.html, junit: reports.junit, defaultStem: "\(reports.reportDir)/rollout") { print("  report: \(file)") }
                } catch {
                    FileHandle.standardError.write(Data("Error: could not write the reports: \(error)\n".utf8))
                }
                throw ExitCode(exitCode)
            }
        }
    }
}
