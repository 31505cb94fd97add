import ArgumentParser
import Foundation
import LoadEngine
import Reports
import SLO
import Steps

/// `tollgate report RESULT.json...`: re-renders one load result, or merges shards exactly.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Re-render a load result, or merge the results of shards and judge the sum.",
        discussion: """
            Histograms add exactly, counters add, time series align by second, and the objectives are
            evaluated again on the merged figures. Shards must be of one profile and one run, each once;
            a shard that never reported is named and the merge is marked incomplete. With --wait, the
            directories are read again until every shard of the run is in them (as shards finish).
            Exit status: 0 every objective held, 1 an objective was breached, 2 a result could not be read
            or written, or shards are missing (the reports are still written, marked incomplete).
            """)

    @Argument(help: "Load results (JSON) written by tollgate load, or directories of them (the shards of one run).") var results: [String]
    @Option(help: "Wait up to this long (e.g. 30m) for every shard of the run to be in the directories.") var wait: String?
    @Option(help: "Write the HdrHistogram interval log (.hlog) here.") var hlog: String?
    @OptionGroup var reports: ReportOptions

    func validate() throws {
        if results.isEmpty { throw ValidationError("give at least one result file") }
        if let wait, !((DurationText.seconds(wait) ?? 0) >= 1 && (DurationText.seconds(wait) ?? 0) <= 86_400) {
            throw ValidationError("--wait '\(wait)' is not a duration from 1s to 24h")
        }
    }

    func run() async throws {
        var (loaded, problems, notes) = readResults()
        let deadline = Date().addingTimeInterval(wait.flatMap(DurationText.seconds) ?? 0)
        var said = false
        while Date() < deadline, Self.incomplete(loaded, problems) {
            if !said { print("Waiting up to \(wait ?? "") for every shard of the run…"); said = true }
            try await Task.sleep(for: .seconds(2))
            (loaded, problems, notes) = readResults()
        }
        for note in notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
        let result: LoadResult
        do {
            guard problems.isEmpty else { throw ShardMerge.Refusal(description: problems.joined(separator: "\nError: ")) }
            result = try ShardMerge.merge(loaded)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        print(result.summaryText())
        let single = results.count == 1 && loaded.count == 1 && result.run.shard != "merged"
        let stem = single ? String(results[0].dropLast(results[0].hasSuffix(".json") ? 5 : 0)) + "-report" : "\(reports.reportDir)/load-merged"
        for file in try LoadReportFiles.write(result, json: reports.json, html: reports.html, junit: reports.junit, hlog: hlog, defaultStem: stem) { print("  report: \(file)") }
        if let missing = result.run.missingShards {
            FileHandle.standardError.write(Data("Error: incomplete: shard\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) never reported; the reports say so\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        if !result.verdict.passed { throw ExitCode(ExitStatus.failed) }
    }

    /// Whether the results read so far are short of a whole run: nothing read, a problem, a
    /// shard of the run not among them, or a set that is not of one run (a stale shard from an
    /// earlier run, a forged one: the real one may still replace it).
    static func incomplete(_ loaded: [(file: String, result: LoadResult)], _ problems: [String]) -> Bool {
        if loaded.isEmpty || !problems.isEmpty { return true }
        guard let merged = try? ShardMerge.merge(loaded) else { return true }
        return merged.run.missingShards != nil
    }

    /// The results named, directories read for the shards in them; what could not be read, and
    /// notes on what was skipped.
    private func readResults() -> (loaded: [(file: String, result: LoadResult)], problems: [String], notes: [String]) {
        var loaded: [(file: String, result: LoadResult)] = []
        var problems: [String] = []
        var notes: [String] = []
        for path in results {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                // A shard directory: its load results; other JSON (a merge, another tool's) is skipped, and said so.
                let files = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
                for name in files {
                    let file = (path as NSString).appendingPathComponent(name)
                    guard let result = try? Self.read(file) else {
                        notes.append("\(file) is not a tollgate load result: skipped")
                        continue
                    }
                    if result.run.shard == "merged" {
                        notes.append("\(file) is a merge, not a shard: skipped")
                        continue
                    }
                    loaded.append((file, result))
                }
                if files.isEmpty { problems.append("\(path): no load results (*.json) in it") }
                continue
            }
            do { loaded.append((path, try Self.read(path))) } catch let error as DecodingError {
                problems.append("\(path): not a tollgate load result: \(Self.describe(error))")
            } catch {
                problems.append("\(path): \(error.localizedDescription)")
            }
        }
        return (loaded, problems, notes)
    }

    /// One result file (at most 512 MB).
    static func read(_ file: String) throws -> LoadResult {
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        if let size = attributes[.size] as? Int, size > 512 * 1024 * 1024 { throw ShardMerge.Refusal(description: "larger than 512 MB") }
        return try LoadResult.read(try Data(contentsOf: URL(fileURLWithPath: file)))
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
