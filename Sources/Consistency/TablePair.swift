/// One table compared between two sides — two PostgreSQL databases (per-row digests computed
/// in each database, through libpq) or two services' export endpoints — as `tollgate
/// consistency` and gate files name it.
package struct TablePair: Sendable {
    package var source: String
    package var target: String
    /// Databases only: `[schema.]table` on the source, on the target when named differently, and the key.
    package var table: String?
    package var targetTable: String?
    package var key = "id"
    /// nil: every column the source has but the key.
    package var columns: [String]?
    /// Source column → target column, where the target names one differently.
    package var map: [String: String] = [:]
    /// Databases only: which rows.
    package var filter: RowFilter?
    /// Rows per batch (export pages hold at most `ExportComparer.maxBatch`).
    package var batch = 5_000
    /// Databases only: connections per side comparing buckets at once.
    package var parallel = ComparisonRequest.defaultParallel
    /// Rows only the target has are expected, not inconsistent.
    package var targetMayHaveMore = false
    /// Export endpoints only: the admin token.
    package var token: String?
    /// When mismatched rows are read again before they count.
    package var recheck = RecheckPolicy()
    /// Asked between batches and while waiting: true stops the comparison (Ctrl-C in a gate).
    package var shouldStop: @Sendable () -> Bool = { false }

    package init(source: String, target: String) {
        self.source = source
        self.target = target
    }

    package static func isDatabaseURL(_ url: String) -> Bool { url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") }
    package static func isExportURL(_ url: String) -> Bool { url.hasPrefix("http://") || url.hasPrefix("https://") }

    /// Both sides are read from export endpoints (else from databases).
    package var readsExports: Bool { Self.isExportURL(source) }

    /// Compares the two sides. Blocking network I/O: run it off the cooperative pool.
    package func compare() throws -> TableComparison {
        if readsExports {
            return try ExportComparer.compare(source: source, target: target, token: token, columns: columns, map: map,
                                              targetMayHaveMore: targetMayHaveMore, batch: min(batch, ExportComparer.maxBatch), recheck: recheck,
                                              shouldStop: shouldStop)
        }
        guard let table else { throw ConsistencyError("a database comparison needs the table") }
        var request = ComparisonRequest(source: TableLocation(url: source, table: table), target: TableLocation(url: target, table: targetTable ?? table), key: key)
        request.columns = columns
        request.map = map
        request.filter = filter
        request.batch = batch
        request.parallel = parallel
        request.targetMayHaveMore = targetMayHaveMore
        request.recheck = recheck
        request.shouldStop = shouldStop
        return try TableComparer.compare(request)
    }
}
