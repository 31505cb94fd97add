import ArgumentParser
import Foundation
import Reports

/// `tollgate report RESULT.json...`: re-renders one load result, or merges shards exactly.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Re-render a load result, or merge the results of shards and judge the sum.",
        discussion: """
            Histograms add exactly, counters add, time series align by second, and the objectives are
            evaluated again on the merged figures.
            Exit status: 0 every objective held, 1 an objective was breached, 2 a result could not be read or written.
            """)

    @Argument(help: "Load results (JSON) written by tollgate load.") var results: [String]
    @Option(help: "Write the HdrHistogram interval log (.hlog) here.") var hlog: String?
    @OptionGroup var reports: ReportOptions

    func validate() throws {
        if results.isEmpty { throw ValidationError("give at least one result file") }
    }

    func run() async throws {
        var loaded: [LoadResult] = []
        var problems: [String] = []
        for file in results {
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                guard data.count <= 512 * 1024 * 1024 else { problems.append("\(file): larger than 512 MB"); continue }
                loaded.append(try LoadResult.read(data))
            } catch let error as DecodingError {
                problems.append("\(file): not a tollgate load result: \(Self.describe(error))")
            } catch {
                problems.append("\(file): \(error.localizedDescription)")
            }
        }
        guard problems.isEmpty, let result = LoadResult.merged(loaded) else {
            FileHandle.standardError.write(Data(problems.map { "Error: \($0)\n" }.joined().utf8))
            throw ExitCode(ExitStatus.error)
        }
        print(result.summaryText())
        let stem = results.count == 1 ? String(results[0].dropLast(results[0].hasSuffix(".json") ? 5 : 0)) + "-report" : "\(reports.reportDir)/load-merged"
        for file in try LoadReportFiles.write(result, json: reports.json, html: reports.html, junit: reports.junit, hlog: hlog, defaultStem: stem) { print("  report: \(file)") }
        if !result.verdict.passed { throw ExitCode(ExitStatus.failed) }
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return "at $\(path): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
