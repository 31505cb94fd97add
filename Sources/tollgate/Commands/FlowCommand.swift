import ArgumentParser
import Flows
import Foundation
import HTTPWire
import LoadEngine
import Reports
import Steps

/// `tollgate flow FLOW...`: runs end-to-end flows step by step, with their event expectations.
struct FlowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow",
        abstract: "Run end-to-end flows (requests and the Kafka events they must cause) against a target.",
        discussion: "Exit status: 0 every flow passed, 1 a step failed, 2 a flow could not be read or run (bad file, unreachable broker).")

    @Argument(help: "Flow files (YAML).") var flows: [String]
    @Option(help: "The base URL (overrides the flows' target).") var target: String?
    @Option(help: "Kafka brokers (HOST:PORT) the event expectations read from.") var kafkaBrokers: String?
    @Option(help: "How many times each flow runs.") var iterations = 1
    @Option(help: "The longest a request may take.") var timeout = "10s"
    @OptionGroup var reports: ReportOptions
    @OptionGroup(title: "HTTPS") var tls: TLSOptions

    func validate() throws {
        var problems: [String] = []
        if flows.isEmpty { problems.append("give at least one flow file") }
        if !(1...10_000).contains(iterations) { problems.append("--iterations must be between 1 and 10000") }
        if let target, TargetURL(target) == nil { problems.append("--target '\(target)' must be an http:// or https:// URL with a host") }
        problems += tls.problems
        if let seconds = DurationText.seconds(timeout), seconds > 0 {} else { problems.append("--timeout '\(timeout)' is not a duration longer than 0") }
        if let kafkaBrokers, kafkaBrokers.isEmpty || kafkaBrokers.contains(where: { $0.isWhitespace }) { problems.append("--kafka-brokers must be HOST:PORT[,HOST:PORT]") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        var loaded: [Flow] = []
        var problems: [String] = []
        for file in flows {
            do { loaded.append(try FlowLoader.load(file: file)) } catch { problems.append("\(error)") }
        }
        guard problems.isEmpty else {
            FileHandle.standardError.write(Data(("Error: " + problems.joined(separator: "\nError: ") + "\n").utf8))
            throw ExitCode(ExitStatus.error)
        }
        guard let base = TargetURL(target ?? loaded.first?.target ?? "") else {
            FileHandle.standardError.write(Data("Error: no target: give --target or a 'target' in the flow\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        for flow in loaded {
            let settings = flow.tls.overridden(by: tls.settings)
            if let line = settings.consoleLine(for: base), loaded.count == 1 || settings.insecureSkipVerify { FileHandle.standardError.write(Data("\(flow.name): \(line)\n".utf8)) }
            do { if base.usesTLS { _ = try TLSClientContext(settings: settings) } } catch {
                FileHandle.standardError.write(Data("Error: \(flow.source): \(error)\n".utf8))
                throw ExitCode(ExitStatus.error)
            }
        }
        let report: FlowReport
        do {
            report = try await Self.run(loaded, target: base, kafkaBrokers: kafkaBrokers, iterations: iterations, timeout: DurationText.seconds(timeout) ?? 10,
                                        tls: tls.settings)
        } catch {
            FileHandle.standardError.write(Data("Error: cannot read events from \(kafkaBrokers ?? ""): \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        let results = report.runs
        let stem = reports.stem("flow", loaded.count == 1 ? loaded[0].name : "all")
        for file in try report.write(json: reports.json, html: reports.html, junit: reports.junit, defaultStem: stem) { Swift.print("  report: \(file)") }
        let failed = results.filter { !$0.passed }.count
        Swift.print(failed == 0 ? "✓ \(results.count) flow run(s) passed" : "✗ \(failed) of \(results.count) flow run(s) failed")
        if failed > 0 { throw ExitCode(ExitStatus.failed) }
    }

    /// Runs each flow `iterations` times, printing each run (default: every step).
    static func run(_ flows: [Flow], target: TargetURL, kafkaBrokers: String?, iterations: Int = 1, timeout: Double = 10, tls: TLSSettings = TLSSettings(),
                    show: (FlowResult) -> Void = FlowCommand.print) async throws -> FlowReport {
        let started = Date()
        let results = try await FlowSuite.run(flows, target: target, kafkaBrokers: kafkaBrokers, iterations: iterations, timeout: timeout,
                                              userAgent: "tollgate/\(Tollgate.version)", tls: tls, each: show)
        return FlowReport(target: target.description, startedAt: started, runs: results)
    }

    static func print(_ result: FlowResult) {
        Swift.print("\(result.passed ? "✓" : "✗") \(result.flow) #\(result.iteration)  \(String(format: "%.2f s", result.seconds))")
        for step in result.steps {
            let mark = step.status == .passed ? "✓" : step.status == .failed ? "✗" : "-"
            Swift.print("    \(mark) \(step.name.padding(toLength: 40, withPad: " ", startingAt: 0)) \(step.status == .skipped ? "skipped" : String(format: "%6.0f ms", step.seconds * 1000))")
            if step.status == .failed {
                for line in FlowReport.details(step).split(separator: "\n", omittingEmptySubsequences: false) { Swift.print("        \(line)") }
            }
        }
    }
}

