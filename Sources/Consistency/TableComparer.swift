import Foundation
import Transport

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
/// target side), which rows, and how many rows per batch.
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

    public init(source: TableLocation, target: TableLocation, key: String) {
        self.source = source
        self.target = target
        self.key = key
    }
}

/// Compares two PostgreSQL tables row by row: each side's database computes a digest per row
/// and sends them in key order, batch after batch (keyset pagination: `key > last`, never
/// OFFSET), and the two streams are merged. Blocking (libpq): call it off the cooperative pool.
public enum TableComparer {
    public static func compare(_ request: ComparisonRequest) throws -> TableComparison {
        let columns = try request.columns ?? TableReader.columns(url: request.source.url, schema: request.source.schema, table: request.source.table)
            .filter { $0 != request.key }
        let targetColumns = columns.map { request.map[$0] ?? $0 }
        let targetFilter = request.filter.map { RowFilter(column: request.map[$0.column] ?? $0.column, comparison: $0.comparison, value: $0.value) }
        let source = try TableReader(url: request.source.url, schema: request.source.schema, table: request.source.table,
                                     key: request.key, columns: columns, filter: request.filter)
        let target = try TableReader(url: request.target.url, schema: request.target.schema, table: request.target.table,
                                     key: request.map[request.key] ?? request.key, columns: targetColumns, filter: targetFilter)
        guard source.keyIsNumeric == target.keyIsNumeric else {
            throw ConsistencyError("the keys sort differently: \(source.description) has a \(source.keyIsNumeric ? "numeric" : "text") key, \(target.description) not")
        }
        var merge = DigestMerge(source: source.description, target: target.description, numericKeys: source.keyIsNumeric)
        try merge.run(nextSource: { try source.next(batch: request.batch) }, nextTarget: { try target.next(batch: request.batch) })
        var result = merge.result
        result.targetMayHaveMore = request.targetMayHaveMore
        // Say what differs in the example rows.
        result.examples.differing = try result.examples.differing.map { example in
            let before = try source.values(key: example.key, columns: columns)
            let after = try target.values(key: example.key, columns: targetColumns)
            let differences = zip(columns, targetColumns).compactMap { sourceColumn, targetColumn -> TableComparison.ColumnDifference? in
                let a = before[sourceColumn] ?? nil, b = after[targetColumn] ?? nil
                return a == b ? nil : TableComparison.ColumnDifference(column: sourceColumn == targetColumn ? sourceColumn : "\(sourceColumn)→\(targetColumn)",
                                                                       source: a, target: b)
            }
            return TableComparison.Difference(key: example.key, columns: differences)
        }
        return result
    }
}
