import ArgumentParser
import Consistency
import Foundation
import Reports
import Steps
import Transport

/// `tollgate consistency`: compares a table between two PostgreSQL databases, or two services'
/// export endpoints, row by row.
struct ConsistencyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency",
        abstract: "Compare a table between two PostgreSQL databases (or two services' export endpoints): counts, rows missing on either side, rows that differ.",
        discussion: """
            Each database checksums buckets of a few thousand keys (a count and the sum of a 64-bit hash per row over the key
            and the compared columns: numbers compared by value, NULL distinct from every text), on --parallel connections per
            side; only buckets that differ are read as (key, md5) rows in key order, in batches that continue after the last
            key read — never OFFSET — and merged. Identifiers are checked against the catalog and quoted by the server; values are bound as parameters.
            With http:// URLs, both sides are read from the reference services' export endpoints
            (…/admin/export/TABLE, admin token from --token or TOLLGATE_ADMIN_TOKEN), in the same keyset-paginated way.
            Live traffic writes one side before the other, so a row in flight differs for a moment: every row found
            inconsistent is read again on both sides after --recheck-after, up to --rechecks times (by key lists, as AWS DMS
            re-validates failed rows), and only rows still inconsistent at the last re-check count. Keys that are NULL or not
            unique are refused (exit 2) before any row is read.
            Exit status: 0 the inconsistency rate is within --threshold, 1 it is above, 2 the comparison could not run.
            """)

    @Option(help: "The source database (postgresql://…) or export endpoint (http://…/admin/export/TABLE).") var source: String
    @Option(help: "The target database or export endpoint, as the source.") var target: String
    @Option(help: "The table ([schema.]table) on the source (databases only).") var table: String?
    @Option(help: "The table on the target, when its name differs.") var targetTable: String?
    @Option(help: "The key column (on the source; --map renames it on the target).") var key = "id"
    @Option(help: "The columns compared (comma-separated; default every column of the source table but the key).") var columns: String?
    @Option(name: .customLong("map"), help: "SOURCE_COLUMN=TARGET_COLUMN where the target names a column differently (repeatable).") var maps: [String] = []
    @Option(name: .customLong("where"), help: "Only rows where COLUMN OP VALUE (OP one of = != <> < <= > >=), on both sides.") var filter: String?
    @Option(help: "Rows per batch.") var batch = 5_000
    @Option(help: "Workers comparing buckets at once, each with a connection per database (default: half this machine's cores, 1 to 8).")
    var parallel = ComparisonRequest.defaultParallel
    @Option(help: "The largest acceptable inconsistency rate, in percent (the guide's trigger: 0.01).") var threshold = 0.01
    @Option(help: "Wait this long before reading inconsistent rows again (e.g. 5s).") var recheckAfter = "5s"
    @Option(help: "Re-check inconsistent rows at most this many times (0: the first pass is the result).") var rechecks = 3
    @Option(help: "Write the JSON report (tollgate.consistency/v1) here.") var json: String?
    @Option(help: "Admin token for export endpoints (env TOLLGATE_ADMIN_TOKEN).") var token: String?
    @Flag(help: "Rows only the target has are expected (a monolith keeps the rows of users never routed to the services).") var targetMayHaveMore = false

    var readsExports: Bool { TablePair.isExportURL(source) }

    func validate() throws {
        var problems: [String] = []
        for (flag, url) in [("--source", source), ("--target", target)] {
            if readsExports ? !TablePair.isExportURL(url) : !TablePair.isDatabaseURL(url) {
                problems.append("\(flag) must be a \(readsExports ? "http(s)://…/admin/export/TABLE URL, as --source" : "postgresql:// URL (or both sides http(s):// export URLs)")")
            }
        }
        if !readsExports, table == nil { problems.append("--table is required for databases") }
        if readsExports {
            if table != nil || targetTable != nil { problems.append("--table/--target-table are for databases; an export URL names its table") }
            if filter != nil { problems.append("--where is for databases; export endpoints send every row") }
            if key != "id" { problems.append("--key is for databases; an export names its key") }
        }
        if let seconds = DurationText.seconds(recheckAfter), seconds <= RecheckPolicy.maximumAfter {} else {
            problems.append("--recheck-after '\(recheckAfter)' must be a duration of at most 1h (e.g. 5s)")
        }
        if !(0...RecheckPolicy.maximumRounds).contains(rechecks) { problems.append("--rechecks must be between 0 and \(RecheckPolicy.maximumRounds)") }
        if !(1...ComparisonRequest.maximumParallel).contains(parallel) { problems.append("--parallel must be between 1 and \(ComparisonRequest.maximumParallel)") }
        if !(1...1_000_000).contains(batch) { problems.append("--batch must be between 1 and 1000000") }
        if !(threshold >= 0 && threshold <= 100) { problems.append("--threshold must be a percentage between 0 and 100") }
        for map in maps where map.split(separator: "=").count != 2 { problems.append("--map '\(map)' must be SOURCE_COLUMN=TARGET_COLUMN") }
        if let filter, RowFilter(parsing: filter) == nil { problems.append("--where '\(filter)' must be COLUMN OP VALUE, e.g. status = confirmed") }
        if let columns, columns.split(separator: ",").isEmpty { problems.append("--columns must name at least one column") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        var pair = TablePair(source: source, target: target)
        pair.table = table
        pair.targetTable = targetTable
        pair.key = key
        pair.columns = columns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        pair.map = Dictionary(maps.map { map in
            let parts = map.split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
            return (parts[0], parts[1])
        }, uniquingKeysWith: { _, last in last })
        pair.filter = filter.flatMap(RowFilter.init(parsing:))
        pair.batch = batch
        pair.parallel = parallel
        pair.targetMayHaveMore = targetMayHaveMore
        pair.token = token ?? ProcessInfo.processInfo.environment["TOLLGATE_ADMIN_TOKEN"]
        pair.recheck = RecheckPolicy(after: DurationText.seconds(recheckAfter) ?? 5, rounds: rechecks)
        let started = Date()
        let result: TableComparison
        do {
            let prepared = pair
            result = try await BlockingWork.run { try prepared.compare() }
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        let seconds = Date().timeIntervalSince(started)
        let report = ConsistencyReport(comparisons: [result], threshold: threshold, seconds: seconds)
        print(report.text())
        if let json { try ReportFile.write(String(decoding: try report.json(), as: UTF8.self) + "\n", to: json) }
        if !report.passed { throw ExitCode(ExitStatus.failed) }
    }
}
