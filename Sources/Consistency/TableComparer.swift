import Foundation

/// One table of a database: `postgresql://…` and `[schema.]table`.
public struct TableLocation: Sendable, Equatable {
    public var url: String
    public var schema: String
    public var table: String

    public init(url: String, table: String) {
        self.url = url
        let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
        schema = parts.count == 2 ? parts[0] : "public"
        self.table = parts.count == 2 ? parts[1] : table
    }
}

/// What to compare: two tables, the key, the columns (source names; `map` renames them on the
/// target side), which rows, how many rows per batch, and when mismatched rows are re-checked.
public struct ComparisonRequest: Sendable {
    public var source: TableLocation
    public var target: TableLocation
    public var key: String
    /// nil: every column of the source table but the key.
    public var columns: [String]?
    /// Source column → target column, where they are named differently.
    public var map: [String: String] = [:]
    public var filter: RowFilter?
    public var batch = 10_000
    /// Rows only the target has are expected, not inconsistent.
    public var targetMayHaveMore = false
    public var recheck = RecheckPolicy()
    /// Asked between batches and while waiting: true stops the comparison (Ctrl-C in a gate).
    public var shouldStop: @Sendable () -> Bool = { false }

    public init(source: TableLocation, target: TableLocation, key: String) {
        self.source = source
        self.target = target
        self.key = key
    }
}

/// Compares two PostgreSQL tables row by row: each side's database computes a digest per row
/// and sends them in key order, batch after batch (keyset pagination: `key > last`, never
/// OFFSET), the two streams are merged, and the mismatched keys are read again by key list
/// (`= ANY($1)`) after `recheck.after` seconds. Blocking (libpq): call it off the cooperative pool.
public enum TableComparer {
    public static func compare(_ request: ComparisonRequest) throws -> TableComparison {
        let columns = try request.columns ?? TableReader.columns(url: request.source.url, schema: request.source.schema, table: request.source.table)
            .filter { $0 != request.key }
        let targetColumns = columns.map { request.map[$0] ?? $0 }
        let targetFilter = request.filter.map { RowFilter(column: request.map[$0.column] ?? $0.column, comparison: $0.comparison, value: $0.value) }
        let source = try TableReader(url: request.source.url, schema: request.source.schema, table: request.source.table,
                                     key: request.key, columns: columns, filter: request.filter, batch: request.batch)
        let target = try TableReader(url: request.target.url, schema: request.target.schema, table: request.target.table,
                                     key: request.map[request.key] ?? request.key, columns: targetColumns, filter: targetFilter, batch: request.batch)
        guard source.keyOrder == target.keyOrder else {
            throw ConsistencyError("the keys sort differently: \(source.description) has a \(source.keyOrder == .numeric ? "numeric" : "text") key, \(target.description) not")
        }
        return try RowComparer.compare(source: source, target: target, order: source.keyOrder,
                                       columns: zip(columns, targetColumns).map { $0 == $1 ? $0 : "\($0)→\($1)" },
                                       targetMayHaveMore: request.targetMayHaveMore, policy: request.recheck, shouldStop: request.shouldStop)
    }
}
