import Foundation
import Transport
import TransportPostgres

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

/// A column as the catalog describes it.
struct ColumnType {
    /// `format_type`: the type as SQL writes it, quoted and qualified as needed (`bigint`,
    /// `character varying(20)`, `public."order status"`), usable in a cast.
    let sql: String
    /// `pg_type.typcategory`: N numeric, S string, U user-defined, E enum, …
    let category: String
    let notNull: Bool
    let number: Int

    var isNumeric: Bool { category == "N" }
    var isInteger: Bool { ["smallint", "integer", "bigint"].contains(sql) }
    /// text and varchar compare with text parameters directly (an index on them serves).
    var isPlainText: Bool { sql == "text" || sql.hasPrefix("character varying") }
}

/// One side of a comparison: a table read in keyset-paginated batches of (key, digest of the
/// compared columns), both computed by the database. Numeric keys are sent by value (1 and 1.0
/// alike) and ordered as numbers; any other key as text, ordered and compared in one
/// collation, `"C"` (byte order). Identifiers are checked against the catalog and quoted by the
/// server (`quote_ident`); every value is a bound parameter.
final class TableReader: ComparedSide {
    let connection: PostgresConnection
    let description: String
    let keyOrder: KeyOrder
    let keysPerLookup = 1_000
    private let keyType: ColumnType
    private let batchSQL: String
    private let lookupSQL: String
    private let valuesSQL: String
    private let filterValue: String?
    private let batch: Int
    private var lastKey: String?
    private var done = false

    /// - Parameters:
    ///   - columns: the columns compared, in the order the other side compares its own.
    init(url: String, schema: String, table: String, key: String, columns: [String], filter: RowFilter?, batch: Int) throws {
        let db: PostgresConnection
        do { db = try PostgresConnection(url: url) } catch {
            throw ConsistencyError("cannot connect to \(Redaction.url(url)): \(Redaction.scrub("\(error)", url: url))")
        }
        connection = db
        self.batch = batch
        description = "\(schema).\(table)"
        let types = try Self.columnTypes(db, schema: schema, table: table, url: url)
        for column in [key] + columns + (filter.map { [$0.column] } ?? []) where types[column] == nil {
            throw ConsistencyError("\(schema).\(table) has no column '\(column)' (it has \(types.keys.sorted().joined(separator: ", ")))")
        }
        func quoted(_ identifier: String) throws -> String {
            guard let text = try db.query("SELECT quote_ident($1) AS q", [identifier]).first?["q"] else {
                throw ConsistencyError("cannot quote '\(identifier)'")
            }
            return text
        }
        keyType = types[key]!
        keyOrder = keyType.isNumeric ? .numeric : .bytes
        let keyColumn = try quoted(key)
        let relation = try quoted(schema) + "." + quoted(table)
        try Self.refuseUncomparableKeys(db, relation: relation, keyColumn: keyColumn, key: key, type: keyType, schema: schema, table: table)
        // The key as the merge reads it, how it orders, and how a bound key text selects it.
        let keyText = keyType.isNumeric ? "trim_scale(\(keyColumn)::numeric)::text" : "\(keyColumn)::text"
        let orderedKey = keyType.isNumeric ? keyColumn : (keyType.isPlainText ? keyColumn : "\(keyColumn)::text") + " COLLATE \"C\""
        let after = keyType.isNumeric ? "\(keyColumn) > $1::\(keyType.sql)" : "\(orderedKey) > $1::text"
        let selected: String
        if keyType.isNumeric || keyType.sql == "uuid" { selected = "\(keyColumn) = ANY($1::\(keyType.sql)[])" }
        else if keyType.isPlainText { selected = "\(keyColumn) = ANY($1::text[])" }
        else { selected = "\(keyColumn)::text = ANY($1::text[])" }
        // Each column as comparable text: numbers by value (10.50 = 10.5), instants in UTC; then
        // encoded unambiguously (RowEncoding) and digested.
        let normalized = try columns.map { column -> String in
            let name = try quoted(column)
            let type = types[column]!
            if type.isNumeric { return "trim_scale(\(name)::numeric)::text" }
            if type.sql == "timestamp with time zone" { return "(\(name) AT TIME ZONE 'UTC')::text" }
            return "\(name)::text"
        }
        let encoded = normalized.map { "coalesce('V' || length(\($0))::text || ':' || \($0), 'N')" }
        let digest = encoded.isEmpty ? "''" : "md5(\(encoded.joined(separator: " || ")))"
        var conditions: [String] = []
        if let filter {
            // The operator is one of a fixed list; the value is parameter $2, cast to the column's real type.
            guard RowFilter.operators.contains(filter.comparison) else { throw ConsistencyError("unknown comparison '\(filter.comparison)'") }
            conditions.append("\(try quoted(filter.column)) \(filter.comparison) $2::\(types[filter.column]!.sql)")
        }
        filterValue = filter?.value
        batchSQL = "SELECT \(keyText) AS \(Self.keyAlias), \(digest) AS \(Self.digestAlias) FROM \(relation) WHERE \((["($1::text IS NULL OR \(after))"] + conditions).joined(separator: " AND ")) "
            + "ORDER BY \(orderedKey) LIMIT $\(filter == nil ? 2 : 3)"
        lookupSQL = "SELECT \(keyText) AS \(Self.keyAlias), \(digest) AS \(Self.digestAlias) FROM \(relation) WHERE \(([selected] + conditions).joined(separator: " AND "))"
        let shown = try zip(normalized, columns).map { expression, column in "\(expression) AS \(try quoted(column))" }
        valuesSQL = "SELECT \((shown.isEmpty ? ["1"] : shown).joined(separator: ", ")) FROM \(relation) WHERE \(selected)"
        self.columns = columns
    }

    private let columns: [String]
    /// Output names no table column shadows (ORDER BY would take an output name before a column of the same name).
    static let keyAlias = "tollgate_row_key", digestAlias = "tollgate_row_digest"

    func nextBatch() throws -> [RowDigest] {
        guard !done else { return [] }
        var parameters: [(any PostgresEncodable)?] = [lastKey]
        if let filterValue { parameters.append(filterValue) }
        parameters.append(batch)
        let rows = try connection.query(batchSQL, parameters)
        let digests = rows.map { RowDigest(key: $0[Self.keyAlias] ?? "", digest: $0[Self.digestAlias] ?? "") }
        if let last = digests.last { lastKey = last.key }
        done = digests.count < batch
        return digests
    }

    func digests(keys: [String]) throws -> [RowDigest] {
        let usable = keys.filter(accepts)
        guard !usable.isEmpty else { return [] }
        var parameters: [(any PostgresEncodable)?] = [Self.arrayLiteral(usable)]
        if let filterValue { parameters.append(filterValue) }
        return try connection.query(lookupSQL, parameters).map { RowDigest(key: $0[Self.keyAlias] ?? "", digest: $0[Self.digestAlias] ?? "") }
    }

    func values(key: String) throws -> [String?]? {
        guard accepts(key), let row = try connection.query(valuesSQL, [Self.arrayLiteral([key])]).first else { return nil }
        return columns.map { row[$0] }
    }

    /// Whether a key text (from either side) can be a key of this table: an integer key takes whole numbers in its range only.
    private func accepts(_ key: String) -> Bool {
        if keyType.isInteger {
            guard let value = Int64(key) else { return false }
            switch keyType.sql {
            case "smallint": return Int64(Int16.min)...Int64(Int16.max) ~= value
            case "integer": return Int64(Int32.min)...Int64(Int32.max) ~= value
            default: return true
            }
        }
        if keyType.isNumeric { return Decimal(string: key) != nil }
        return true
    }

    /// `{"a","b"}`: a text array literal, each element quoted.
    static func arrayLiteral(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    /// The table's columns with their types, from the catalog.
    static func columnTypes(_ db: PostgresConnection, schema: String, table: String, url: String) throws -> [String: ColumnType] {
        let rows = try db.query("""
            SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, t.typcategory AS category, a.attnotnull AS not_null, a.attnum AS number
            FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2)
              AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, [schema, table])
        guard !rows.isEmpty else { throw ConsistencyError("no table \(schema).\(table) in \(Redaction.url(url))") }
        var types: [String: ColumnType] = [:]
        for row in rows {
            guard let name = row["name"], let type = row["type"] else { continue }
            types[name] = ColumnType(sql: type, category: row["category"] ?? "", notNull: row["not_null"] == "t", number: Int(row["number"] ?? "") ?? 0)
        }
        return types
    }

    /// A key that is NULL or not unique cannot pair rows: refused before any row is read, with a
    /// sample. A primary key or a unique index on the key alone (and NOT NULL) settles it without a scan.
    static func refuseUncomparableKeys(_ db: PostgresConnection, relation: String, keyColumn: String, key: String, type: ColumnType,
                                       schema: String, table: String) throws {
        if !type.notNull, let row = try db.query("SELECT 1 AS one FROM \(relation) WHERE \(keyColumn) IS NULL LIMIT 1").first, row["one"] != nil {
            throw ConsistencyError("\(schema).\(table): the key '\(key)' is NULL in some rows; rows without a key cannot be compared (choose a key column that is never NULL)")
        }
        let unique = try db.query("""
            SELECT 1 AS one FROM pg_index i
            WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indnkeyatts = 1 AND i.indkey[0] = $2::int2 AND i.indpred IS NULL LIMIT 1
            """, [relation, type.number])
        guard unique.isEmpty else { return }
        if let row = try db.query("SELECT \(keyColumn)::text AS k, count(*) AS n FROM \(relation) GROUP BY \(keyColumn) HAVING count(*) > 1 LIMIT 1").first {
            throw ConsistencyError("\(schema).\(table): the key '\(key)' is not unique (\(row["n"] ?? "several") rows have \(key) = \(row["k"] ?? "?")); "
                                   + "rows cannot be paired (choose a unique key)")
        }
    }

    /// All columns of the table (for the default column list).
    static func columns(url: String, schema: String, table: String) throws -> [String] {
        let connection: PostgresConnection
        do { connection = try PostgresConnection(url: url) } catch { throw ConsistencyError("cannot connect to \(Redaction.url(url)): \(Redaction.scrub("\(error)", url: url))") }
        return try columnTypes(connection, schema: schema, table: table, url: url).sorted { $0.value.number < $1.value.number }.map(\.key)
    }
}

/// Why a comparison could not run.
public struct ConsistencyError: Error, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
