import Foundation

/// One table of a database: `postgresql://…` and `[schema.]table`.
package struct TableLocation: Sendable, Equatable {
    package var url: String
    package var schema: String
    package var table: String

    package init(url: String, table: String) {
        self.url = url
        let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
        schema = parts.count == 2 ? parts[0] : "public"
        self.table = parts.count == 2 ? parts[1] : table
    }
}

/// What to compare: two tables, the key, the columns (source names; `map` renames them on the
/// target side), which rows, how many rows per batch, and when mismatched rows are re-checked.
package struct ComparisonRequest: Sendable {
    /// Half this machine's cores, 1 to 8 (each worker keeps a statement running on both sides):
    /// PostgreSQL tells no client the server's cores, and the tool usually runs beside the
    /// database it checks.
    package static let defaultParallel = min(8, max(1, ProcessInfo.processInfo.activeProcessorCount / 2))
    /// The most connections per side a comparison may open.
    package static let maximumParallel = 64

    package var source: TableLocation
    package var target: TableLocation
    package var key: String
    /// nil: every column of the source table but the key.
    package var columns: [String]?
    /// Source column → target column, where they are named differently.
    package var map: [String: String] = [:]
    package var filter: RowFilter?
    package var batch = 5_000
    /// Workers comparing buckets at once, each with one connection per side.
    package var parallel = ComparisonRequest.defaultParallel
    /// Rows a checksum bucket is planned to hold; nil: by the table's size (1,000 to 50,000).
    package var bucketRows: Int?
    /// Rows only the target has are expected, not inconsistent.
    package var targetMayHaveMore = false
    package var recheck = RecheckPolicy()
    /// Asked between batches and while waiting: true stops the comparison (Ctrl-C in a gate).
    package var shouldStop: @Sendable () -> Bool = { false }
    /// Waits the given seconds before each re-check; nil: the clock (tests pass their own).
    package var waitBeforeRecheck: (@Sendable (Double) -> Void)?

    package init(source: TableLocation, target: TableLocation, key: String) {
        self.source = source
        self.target = target
        self.key = key
    }
}

/// Compares two PostgreSQL tables: a first pass by key buckets (`BucketedFirstPass`: each
/// database checksums buckets of keys, and only buckets that differ are read as (key, digest)
/// rows in key order — keyset pagination, `key > last`, never OFFSET — and merged), then the
/// mismatched keys read again by key list (`= ANY($1)`) after `recheck.after` seconds.
/// Blocking (libpq): call it off the cooperative pool.
package enum TableComparer {
    package static func compare(_ request: ComparisonRequest) throws -> TableComparison {
        let sourceConnection = try TableReader.connect(request.source.url), targetConnection = try TableReader.connect(request.target.url)
        let columns = try request.columns ?? TableShape.columns(sourceConnection, url: request.source.url, schema: request.source.schema, table: request.source.table)
            .filter { $0 != request.key }
        let targetColumns = columns.map { request.map[$0] ?? $0 }
        let targetFilter = request.filter.map { RowFilter(column: request.map[$0.column] ?? $0.column, comparison: $0.comparison, value: $0.value) }
        var source = try TableShape(connection: sourceConnection, url: request.source.url, schema: request.source.schema, table: request.source.table,
                                    key: request.key, columns: columns, filter: request.filter)
        var target = try TableShape(connection: targetConnection, url: request.target.url, schema: request.target.schema, table: request.target.table,
                                    key: request.map[request.key] ?? request.key, columns: targetColumns, filter: targetFilter)
        guard source.keyOrder == target.keyOrder else {
            throw ConsistencyError("the keys sort differently: \(source.description) has a \(source.keyOrder == .numeric ? "numeric" : "text") key, \(target.description) not")
        }
        source.agree(with: target)
        target.agree(with: source)
        let sourceReader = TableReader(shape: source, connection: sourceConnection, batch: request.batch)
        let targetReader = TableReader(shape: target, connection: targetConnection, batch: request.batch)
        let firstPass = BucketedFirstPass(source: source, target: target, batch: request.batch, parallel: request.parallel, bucketRows: request.bucketRows,
                                          mismatchLimit: DigestMerge.defaultMismatchLimit, shouldStop: request.shouldStop)
        let merge = try firstPass.run(sourceReader: sourceReader, targetReader: targetReader)
        return try RowComparer.confirm(merge, source: sourceReader, target: targetReader, columns: zip(columns, targetColumns).map { $0 == $1 ? $0 : "\($0)→\($1)" },
                                       targetMayHaveMore: request.targetMayHaveMore, policy: request.recheck, shouldStop: request.shouldStop,
                                       sleep: request.waitBeforeRecheck)
    }
}
