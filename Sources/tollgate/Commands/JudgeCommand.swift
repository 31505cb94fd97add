import ArgumentParser
import CanaryJudge
import Foundation
import LoadEngine
import LoadMetrics
import Reports
import Steps

/// `tollgate judge BASELINE.json CANARY.json`: the canary judge on two load results.
struct JudgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "judge",
        abstract: "Judge one load result (the canary) against another (the baseline), as a canary analysis does.",
        discussion: """
            Each metric is compared canary vs baseline: latency by the Mann–Whitney U test with the
            Hodges–Lehmann shift and its confidence interval (from the results' histograms), error and
            other rates by Fisher's exact or a two-proportion test. A metric fails when the difference is
            significant and beyond its tolerance; the score is the weighted share of metrics that pass.
            With no --judge file: every request name's and tag's latency (10 % and 20 ms allowed) and error
            rate (10 % allowed), confidence 0.98, at least 50 observations per result.
            For example, this build's load against main's last run in CI:
              tollgate judge main/load.json reports/load.json --junit reports/judge.junit.xml
            Exit status: 0 proceed, 3 reduce, 4 pause (inconclusive or marginal), 5 roll back, 2 could not run.
            """)

    @Argument(help: "The baseline's load result (JSON written by tollgate load or tollgate report).") var baseline: String
    @Argument(help: "The canary's load result.") var canary: String
    @Option(help: "A judge file: a judge: section (metrics, tolerances, confidence, scores), as in a gate file.") var judge: String?
    @OptionGroup var reports: ReportOptions

    func run() async throws {
        let report: JudgeReport
        var judgingTime = Duration.zero
        do {
            let before = try load(baseline), after = try load(canary)
            let settings = try judge.map { try JudgeFileLoader.load($0, environment: ProcessInfo.processInfo.environment) }
                ?? JudgeSettings.everyRequest(names: Array(Set(before.metrics.byName.keys).union(after.metrics.byName.keys)),
                                              tags: Array(Set(before.metrics.byTag.keys).union(after.metrics.byTag.keys)))
            let absent = settings.absentMeasures(in: [before.metrics.overall, after.metrics.overall])
                + settings.metrics.enumerated().filter { $0.element.measure.isQueryPair }.map { ($0.offset, "a PromQL pair is judged in a gate (with its prometheus:); tollgate judge compares two load results") }
            guard absent.isEmpty else {
                throw FileProblems(problems: absent.map { FileProblem(file: judge ?? "", line: nil, field: "judge.metrics[\($0.index)]", message: $0.reason) })
            }
            let clock = ContinuousClock(), started = clock.now
            let judgement = CanaryJudge.judge(settings, baseline: before.metrics.overall, canary: after.metrics.overall)
            judgingTime = clock.now - started
            report = JudgeReport(baseline: source(baseline, before), canary: source(canary, after), judgement: judgement)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        print(report.text())
        let milliseconds = Double(judgingTime.components.seconds) * 1000 + Double(judgingTime.components.attoseconds) / 1e15
        print("  judged \(report.judgement.metrics.count) metrics in \(String(format: "%.1f", milliseconds)) ms")
        do {
            for file in try report.write(json: reports.json, html: reports.html, junit: reports.junit, defaultStem: "\(reports.reportDir)/judge") {
                print("  report: \(file)")
            }
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        if report.judgement.exitCode != 0 { throw ExitCode(report.judgement.exitCode) }
    }

    private func load(_ file: String) throws -> LoadResult {
        do { return try ReportCommand.read(file) } catch let error as DecodingError {
            throw JudgeInputError(description: "\(file): not a tollgate load result: \(ReportCommand.describe(error))")
        } catch let error as ShardMerge.Refusal {
            throw JudgeInputError(description: "\(file): \(error)")
        } catch {
            throw JudgeInputError(description: "\(file): \(error.localizedDescription)")
        }
    }

    private func source(_ file: String, _ result: LoadResult) -> JudgeReport.Source {
        JudgeReport.Source(file: file, profile: result.run.profile, target: result.run.target, startedAt: result.run.startedAt, requests: result.metrics.total.requests)
    }
}

/// A result file `tollgate judge` could not use, named.
struct JudgeInputError: Error, CustomStringConvertible {
    let description: String
}
