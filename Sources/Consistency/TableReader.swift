import Foundation
import Transport

/// Which rows of a table a comparison reads: `column OP value`, the value bound as a parameter.
public struct RowFilter: Sendable, Equatable {
    public static let operators = ["=", "!=", "<>", "<=", ">=", "<", ">"]
    public var column: String
    public var comparison: String
    public var value: String

    public init(column: String, comparison: String, value: String) {
        self.column = column
        self.comparison = comparison
        self.value = value
    }

    /// Reads `status = confirmed`, `created_at >= 2026-01-01`.
    public init?(parsing text: String) {
        for op in ["!=", "<>", "<=", ">=", "=", "<", ">"] {
            guard let range = text.range(of: op) else { continue }
            let column = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            let value = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
            guard !column.isEmpty, !value.isEmpty else { return nil }
            self.column = column
            comparison = op
            self.value = value
            return
        }
        return nil
    }
}

/// One side of a comparison: a table read in keyset-paginated batches of (key, digest of the
/// compared columns), both computed by the database. Identifiers are checked against the
/// catalog and quoted by the server (`quote_ident`); every value is a bound parameter.
final class TableReader {
    let connection: PostgresConnection
    let description: String
    let keyIsNumeric: Bool
    private let batchSQL: String
    private let valuesSQL: String
    private let filterValue: String?
    private var lastKey: String?

    /// - Parameters:
    ///   - columns: the columns compared, in the order the other side compares its own.
    init(url: String, schema: String, table: String, key: String, columns: [String], filter: RowFilter?) throws {
        let db: PostgresConnection
        do { db = try PostgresConnection(url: url) } catch {
            throw ConsistencyError("cannot connect to \(Redaction.url(url)): \(error)")
        }
        connection = db
        description = "\(schema).\(table)"
        let rows = try db.query("""
            SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
            """, [schema, table])
        guard !rows.isEmpty else { throw ConsistencyError("no table \(schema).\(table) in \(Redaction.url(url))") }
        var types: [String: String] = [:]
        for row in rows { if let name = row["column_name"], let type = row["data_type"] { types[name] = type } }
        for column in [key] + columns + (filter.map { [$0.column] } ?? []) where types[column] == nil {
            throw ConsistencyError("\(schema).\(table) has no column '\(column)' (it has \(types.keys.sorted().joined(separator: ", ")))")
        }
        func quoted(_ identifier: String) throws -> String {
            guard let text = try db.query("SELECT quote_ident($1) AS q", [identifier]).first?["q"] else {
                throw ConsistencyError("cannot quote '\(identifier)'")
            }
            return text
        }
        let keyType = types[key]!
        keyIsNumeric = ["smallint", "integer", "bigint", "numeric"].contains(keyType)
        let textual = ["text", "character varying", "character"].contains(keyType)
        let keyColumn = try quoted(key)
        let quotedSchema = try quoted(schema), quotedTable = try quoted(table)
        let relation = quotedSchema + "." + quotedTable
        let order = keyColumn + (textual ? " COLLATE \"C\"" : "")
        // Each column as comparable text: numbers by value (10.50 = 10.5), instants in UTC.
        let normalized = try columns.map { column -> String in
            let name = try quoted(column)
            switch types[column]! {
            case "smallint", "integer", "bigint", "numeric", "real", "double precision": return "trim_scale(\(name)::numeric)::text"
            case "timestamp with time zone": return "(\(name) AT TIME ZONE 'UTC')::text"
            default: return "\(name)::text"
            }
        }
        let digested = normalized.map { "coalesce(\($0), E'\\\\N')" }
        let digest = digested.isEmpty ? "''" : "md5(concat_ws(E'\\x1f', \(digested.joined(separator: ", "))))"
        var conditions: [String] = []
        if let filter {
            // The operator is one of a fixed list; the value is parameter $2, cast to the column's type.
            guard RowFilter.operators.contains(filter.comparison) else { throw ConsistencyError("unknown comparison '\(filter.comparison)'") }
            conditions.append("\(try quoted(filter.column)) \(filter.comparison) $2::\(types[filter.column]!)")
        }
        filterValue = filter?.value
        let keyCondition = "($1::text IS NULL OR \(keyColumn) > $1::\(keyType))"
        batchSQL = "SELECT \(keyColumn)::text AS k, \(digest) AS d FROM \(relation) WHERE \(([keyCondition] + conditions).joined(separator: " AND ")) "
            + "ORDER BY \(order) LIMIT $\(filter == nil ? 2 : 3)"
        let shown = try zip(normalized, columns).map { expression, column in "\(expression) AS \(try quoted(column))" }
        valuesSQL = "SELECT \((shown.isEmpty ? ["1"] : shown).joined(separator: ", ")) FROM \(relation) WHERE \(keyColumn) = $1::\(keyType)"
    }

    /// The next batch in key order (empty when the table is read).
    func next(batch: Int) throws -> [RowDigest] {
        var parameters: [(any PostgresEncodable)?] = [lastKey]
        if let filterValue { parameters.append(filterValue) }
        parameters.append(batch)
        let rows = try connection.query(batchSQL, parameters)
        let digests = rows.map { RowDigest(key: $0["k"] ?? "", digest: $0["d"] ?? "") }
        if let last = digests.last { lastKey = last.key }
        return digests
    }

    /// The compared columns of one row, as text.
    func values(key: String, columns: [String]) throws -> [String: String?] {
        guard let row = try connection.query(valuesSQL, [key]).first else { return [:] }
        return Dictionary(uniqueKeysWithValues: columns.map { ($0, row[$0]) })
    }

    /// All columns of the table (for the default column list).
    static func columns(url: String, schema: String, table: String) throws -> [String] {
        let connection: PostgresConnection
        do { connection = try PostgresConnection(url: url) } catch { throw ConsistencyError("cannot connect to \(Redaction.url(url)): \(error)") }
        return try connection.query("""
            SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position
            """, [schema, table]).compactMap { $0["column_name"] }
    }
}

/// Why a comparison could not run.
public struct ConsistencyError: Error, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
