import Foundation
import Transport
import TransportPostgres

/// Which rows of a table a comparison reads: `column OP value`, the value bound as a parameter.
package struct RowFilter: Sendable, Equatable {
    package static let operators = ["=", "!=", "<>", "<=", ">=", "<", ">"]
    package var column: String
    package var comparison: String
    package var value: String

    package init(column: String, comparison: String, value: String) {
        self.column = column
        self.comparison = comparison
        self.value = value
    }

    /// Reads `status = confirmed`, `created_at >= 2026-01-01`.
    package init?(parsing text: String) {
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
struct ColumnType: Sendable {
    /// `format_type`: the type as SQL writes it, quoted and qualified as needed (`bigint`,
    /// `character varying(20)`, `public."order status"`), usable in a cast.
    let sql: String
    /// `pg_type.typcategory`: N numeric, S string, U user-defined, E enum, …
    let category: String
    let notNull: Bool
    let number: Int

    var isNumeric: Bool { category == "N" }
    var isInteger: Bool { ["smallint", "integer", "bigint"].contains(sql) }
    /// Binary floating point: `::numeric` keeps only 6 (real) or 15 (double) significant digits.
    var isFloat: Bool { sql == "real" || sql == "double precision" }
    /// text and varchar compare with text parameters directly (an index on them serves).
    var isPlainText: Bool { sql == "text" || sql.hasPrefix("character varying") }
}

/// A range of keys: from `lower` (inclusive) to `upper` (exclusive), nil for unbounded. Bounds
/// are key texts as the comparison reads keys; each side casts them to its own boundary type.
struct KeyRange: Sendable, Equatable {
    var lower: String?
    var upper: String?

    static let all = KeyRange(lower: nil, upper: nil)
}

/// Positional parameters gathered while a statement is written: `bind` returns the placeholder.
struct BoundParameters {
    private(set) var values: [(any PostgresEncodable)?] = []

    mutating func bind(_ value: (any PostgresEncodable)?) -> String {
        values.append(value)
        return "$\(values.count)"
    }
}

/// One side's table as a comparison addresses it, built once from the catalog: how a key reads
/// as text and orders, the digest of a row's compared columns, the 64-bit hash of a whole row for
/// bucket checksums, and the statements over key ranges. Numeric keys are sent by value (1 and
/// 1.0 alike) and ordered as numbers; any other key as text, ordered and compared in one
/// collation, `"C"` (byte order). Identifiers are checked against the catalog and quoted by the
/// server (`quote_ident`); every value is a bound parameter.
struct TableShape: Sendable {
    let url: String
    let description: String
    let keyType: ColumnType
    let keyOrder: KeyOrder
    let columns: [String]
    /// Whether a unique index on the key orders as the comparison does (numbers, uuids, text in byte order).
    private let indexServesKeyOrder: Bool
    private let relation: String
    private let keyColumn: String
    private let keyText: String
    private let orderedKey: String
    private let digest: String
    private let rowHash: String
    private let shownColumns: String
    private let filter: (column: String, comparison: String, type: String, value: String)?
    /// How keys compare with range bounds and bucket boundaries: natively when both sides' keys
    /// have the same type (an index serves), else as the comparison orders them.
    private(set) var boundaryKey: String
    private(set) var boundaryType: String

    /// - Parameters:
    ///   - columns: the columns compared, in the order the other side compares its own.
    init(connection db: PostgresConnection, url: String, schema: String, table: String, key: String, columns: [String], filter: RowFilter?) throws {
        self.url = url
        description = "\(schema).\(table)"
        self.columns = columns
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
        keyColumn = try quoted(key)
        relation = try quoted(schema) + "." + quoted(table)
        let index = try Self.refuseUncomparableKeys(db, relation: relation, keyColumn: keyColumn, key: key, type: keyType, schema: schema, table: table)
        // The key as the merge reads it, and how it orders.
        keyText = Self.comparableText(keyColumn, keyType)
        orderedKey = keyType.isNumeric ? keyColumn : (keyType.isPlainText ? keyColumn : "\(keyColumn)::text") + " COLLATE \"C\""
        boundaryKey = orderedKey
        boundaryType = keyType.isNumeric ? keyType.sql : "text"
        switch index {
        case nil: indexServesKeyOrder = false
        case .some(let collation):
            // Numbers and uuids order alike in every collation; text needs an index in byte order.
            indexServesKeyOrder = keyType.isNumeric || keyType.sql == "uuid" || (keyType.isPlainText && collation.bytewise)
        }
        // Each column as comparable text: numbers by value (10.50 = 10.5), instants in UTC; then
        // the row as a record's text, which is unambiguous (NULL is an empty field, an empty text
        // "", and a value with a comma, quote, parenthesis or space is quoted), and digested.
        let normalized = try columns.map { column -> String in
            let name = try quoted(column)
            return Self.comparableText(name, types[column]!)
        }
        digest = normalized.isEmpty ? "''" : "md5(ROW(\(normalized.joined(separator: ", ")))::text)"
        // The whole row, key included, hashed to 64 bits by the server's own text hash in byte
        // order (`hashtextextended`, about half md5's cost). Servers that hash differently (another
        // byte order) only make buckets differ: their rows are then read and compared by md5,
        // never taken as equal.
        rowHash = "hashtextextended(ROW(\(([keyText] + normalized).joined(separator: ", ")))::text COLLATE \"C\", 0)"
        shownColumns = try zip(normalized, columns).map { expression, column in "\(expression) AS \(try quoted(column))" }
            .joined(separator: ", ")
        if let filter {
            // The operator is one of a fixed list; the value is bound, cast to the column's real type.
            guard RowFilter.operators.contains(filter.comparison) else { throw ConsistencyError("unknown comparison '\(filter.comparison)'") }
            self.filter = (try quoted(filter.column), filter.comparison, types[filter.column]!.sql, filter.value)
        } else {
            self.filter = nil
        }
    }

    /// A column as text that reads alike for equal values whatever the type: numbers by exact
    /// value (10.50 = 10.5; an integer's own text is already that, without a numeric conversion;
    /// a float by its shortest text that reads back as the same float — 12345.67 and 12345.72 as
    /// `real`, 1.0000000000000002 and 1 as `double`, differ — then as a decimal, so that 1e+17 and
    /// a numeric 100000000000000000 agree), instants in UTC.
    static func comparableText(_ column: String, _ type: ColumnType) -> String {
        if type.isInteger { return "\(column)::text" }
        if type.isFloat { return "trim_scale((\(column)::text)::numeric)::text" }
        if type.isNumeric { return "trim_scale(\(column)::numeric)::text" }
        if type.sql == "timestamp with time zone" { return "(\(column) AT TIME ZONE 'UTC')::text" }
        return "\(column)::text"
    }

    /// Makes range bounds and bucket boundaries compare alike on both sides: natively when both
    /// keys have the same type, else as numbers (keys of different numeric types) or as text in
    /// byte order.
    mutating func agree(with other: TableShape) {
        if keyType.sql == other.keyType.sql {
            if keyType.sql == "uuid" {
                // A uuid's own order is its bytes', which is its text's in byte order.
                boundaryKey = keyColumn
                boundaryType = "uuid"
            }
        } else if keyType.isNumeric {
            boundaryKey = "\(keyColumn)::numeric"
            boundaryType = "numeric"
        }
    }

    /// Whether a key range on this side reads only its rows, through an index (given `agree`);
    /// else every range is a scan of the table.
    var rangesReadAnIndex: Bool { indexServesKeyOrder && (boundaryKey == keyColumn || boundaryKey == orderedKey && keyType.isPlainText) }

    /// Output names no table column shadows (ORDER BY would take an output name before a column of the same name).
    static let keyAlias = "tollgate_row_key", digestAlias = "tollgate_row_digest"

    /// The conditions of a statement over `range`: its bounds, the row filter, and `extra`.
    private func conditions(_ range: KeyRange, _ parameters: inout BoundParameters, extra: [String] = []) -> String {
        var all = extra
        if let lower = range.lower { all.append("\(boundaryKey) >= \(parameters.bind(lower))::\(boundaryType)") }
        if let upper = range.upper { all.append("\(boundaryKey) < \(parameters.bind(upper))::\(boundaryType)") }
        if let filter { all.append("\(filter.column) \(filter.comparison) \(parameters.bind(filter.value))::\(filter.type)") }
        return all.isEmpty ? "" : " WHERE " + all.joined(separator: " AND ")
    }

    /// Up to `limit` (key, digest) rows of `range` after `lastKey`, in key order.
    func batch(in range: KeyRange, after lastKey: String?, limit: Int) -> (String, [(any PostgresEncodable)?]) {
        var parameters = BoundParameters()
        var extra: [String] = []
        if let lastKey {
            let bound = parameters.bind(lastKey)
            extra.append(keyType.isNumeric ? "\(keyColumn) > \(bound)::\(keyType.sql)" : "\(orderedKey) > \(bound)::text")
        }
        let sql = "SELECT \(keyText) AS \(Self.keyAlias), \(digest) AS \(Self.digestAlias) FROM \(relation)\(conditions(range, &parameters, extra: extra)) "
            + "ORDER BY \(orderedKey) LIMIT \(parameters.bind(limit))"
        return (sql, parameters.values)
    }

    /// The key selection of `keys` (a text array literal).
    private func selected(_ keys: String, _ parameters: inout BoundParameters) -> String {
        let bound = parameters.bind(keys)
        if keyType.isNumeric || keyType.sql == "uuid" { return "\(keyColumn) = ANY(\(bound)::\(keyType.sql)[])" }
        if keyType.isPlainText { return "\(keyColumn) = ANY(\(bound)::text[])" }
        return "\(keyColumn)::text = ANY(\(bound)::text[])"
    }

    /// The (key, digest) rows of the given keys that exist (and pass the filter).
    func lookup(_ keys: [String]) -> (String, [(any PostgresEncodable)?]) {
        var parameters = BoundParameters()
        let selection = selected(Self.arrayLiteral(keys), &parameters)
        return ("SELECT \(keyText) AS \(Self.keyAlias), \(digest) AS \(Self.digestAlias) FROM \(relation)\(conditions(.all, &parameters, extra: [selection]))",
                parameters.values)
    }

    /// The compared columns of one row, as compared text.
    func values(_ key: String) -> (String, [(any PostgresEncodable)?]) {
        var parameters = BoundParameters()
        let selection = selected(Self.arrayLiteral([key]), &parameters)
        return ("SELECT \(shownColumns.isEmpty ? "1" : shownColumns) FROM \(relation) WHERE \(selection)", parameters.values)
    }

    /// Count and sum of row hashes per bucket of `range`: bucket 0 from the range's start to
    /// `boundaries[0]`, bucket i from `boundaries[i-1]` to the next (`width_bucket`, in the
    /// boundary order). Empty buckets have no row.
    func buckets(in range: KeyRange, boundaries: [String]) -> (String, [(any PostgresEncodable)?]) {
        var parameters = BoundParameters()
        let bucket = boundaries.isEmpty ? "0" : "width_bucket(\(boundaryKey), \(parameters.bind(Self.arrayLiteral(boundaries)))::\(boundaryType)[])"
        return ("SELECT \(bucket) AS b, count(*) AS n, sum(\(rowHash)) AS s FROM \(relation)\(conditions(range, &parameters)) GROUP BY 1", parameters.values)
    }

    /// Every `step`-th key of `range` in boundary order: boundaries cutting it into parts of `step` rows.
    func cuts(in range: KeyRange, step: Int) -> (String, [(any PostgresEncodable)?]) {
        var parameters = BoundParameters()
        let inner = "SELECT \(keyText) AS k, row_number() OVER (ORDER BY \(boundaryKey)) AS r FROM \(relation)\(conditions(range, &parameters))"
        return ("SELECT k FROM (\(inner)) numbered WHERE r % \(parameters.bind(step)) = 0 ORDER BY r", parameters.values)
    }

    /// Keys of about `percent` % of the rows, each row drawn alone (`BERNOULLI`: a scan that
    /// hashes nothing; whole pages, as `SYSTEM` draws them, would hold runs of neighbouring keys
    /// and cut uneven buckets), in boundary order.
    func sample(percent: Double) -> (String, [(any PostgresEncodable)?]) {
        var parameters = BoundParameters()
        let rate = parameters.bind(String(format: "%.6f", percent))
        return ("SELECT \(keyText) AS k FROM \(relation) TABLESAMPLE BERNOULLI (\(rate)::real)\(conditions(.all, &parameters)) ORDER BY \(boundaryKey)",
                parameters.values)
    }

    /// The planner's row estimate (`reltuples`; below 0 when never analysed).
    var estimate: String { "SELECT reltuples::float8 AS n FROM pg_class WHERE oid = '\(relation.replacingOccurrences(of: "'", with: "''"))'::regclass" }

    /// The rows of the table (with the filter).
    func count() -> (String, [(any PostgresEncodable)?]) {
        var parameters = BoundParameters()
        return ("SELECT count(*) AS n FROM \(relation)\(conditions(.all, &parameters))", parameters.values)
    }

    /// Whether a key text (from either side) can be a key of this table: an integer key takes whole numbers in its range only.
    func accepts(_ key: String) -> Bool {
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

    /// All columns of the table in their order (for the default column list).
    static func columns(_ db: PostgresConnection, url: String, schema: String, table: String) throws -> [String] {
        try columnTypes(db, schema: schema, table: table, url: url).sorted { $0.value.number < $1.value.number }.map(\.key)
    }

    /// The collation of a unique index on the key alone.
    struct IndexCollation {
        /// The index orders text byte by byte ("C", "POSIX", or a database default that is one of them).
        let bytewise: Bool
    }

    /// A key that is NULL or not unique cannot pair rows: refused before any row is read, with a
    /// sample. A primary key or a unique index on the key alone (and NOT NULL) settles it without a
    /// scan; that index, when there is one, is returned.
    static func refuseUncomparableKeys(_ db: PostgresConnection, relation: String, keyColumn: String, key: String, type: ColumnType,
                                       schema: String, table: String) throws -> IndexCollation? {
        if !type.notNull, let row = try db.query("SELECT 1 AS one FROM \(relation) WHERE \(keyColumn) IS NULL LIMIT 1").first, row["one"] != nil {
            throw ConsistencyError("\(schema).\(table): the key '\(key)' is NULL in some rows; rows without a key cannot be compared (choose a key column that is never NULL)")
        }
        // Collation 950 is "C", 951 "POSIX", 100 the database's default.
        let unique = try db.query("""
            SELECT i.indcollation[0]::oid IN (950, 951)
                   OR (i.indcollation[0]::oid = 100 AND (SELECT datcollate IN ('C', 'POSIX') FROM pg_database WHERE datname = current_database())) AS bytewise
            FROM pg_index i
            WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indnkeyatts = 1 AND i.indkey[0] = $2::int2 AND i.indpred IS NULL
            ORDER BY 1 DESC LIMIT 1
            """, [relation, type.number])
        if let index = unique.first { return IndexCollation(bytewise: index["bytewise"] == "t") }
        if let row = try db.query("SELECT \(keyColumn)::text AS k, count(*) AS n FROM \(relation) GROUP BY \(keyColumn) HAVING count(*) > 1 LIMIT 1").first {
            throw ConsistencyError("\(schema).\(table): the key '\(key)' is not unique (\(row["n"] ?? "several") rows have \(key) = \(row["k"] ?? "?")); "
                                   + "rows cannot be paired (choose a unique key)")
        }
        return nil
    }
}

/// One side of a database comparison on its own connection: batches of (key, digest) over a key
/// range (`reset`), re-checks by key list, the values of single rows, and bucket checksums.
/// While a range is read, the next batch is already on its way (sent as soon as the previous one
/// arrives), so the database works while the merge does.
final class TableReader: ComparedSide {
    let connection: PostgresConnection
    let shape: TableShape
    let keysPerLookup = 1_000
    private let batchSize: Int
    private var range = KeyRange.all
    private var lastKey: String?
    private var done = false
    /// A batch statement has been sent and its rows not yet received.
    private var batchInFlight = false

    init(shape: TableShape, connection: PostgresConnection, batch: Int) {
        self.connection = connection
        self.shape = shape
        batchSize = batch
    }

    /// A reader on a connection of its own.
    convenience init(shape: TableShape, batch: Int) throws {
        self.init(shape: shape, connection: try Self.connect(shape.url), batch: batch)
    }

    /// Connects to `url`, naming the database (credentials removed) when it cannot.
    static func connect(_ url: String) throws -> PostgresConnection {
        do { return try PostgresConnection(url: url) } catch {
            throw ConsistencyError("cannot connect to \(Redaction.url(url)): \(Redaction.scrub("\(error)", url: url))")
        }
    }

    var description: String { shape.description }

    /// Reads `range` from its start on the next `nextBatch`; its first batch is sent now.
    func reset(to range: KeyRange) throws {
        try settle()
        self.range = range
        lastKey = nil
        done = false
        try sendBatch()
    }

    func nextBatch() throws -> [RowDigest] {
        guard !done else { return [] }
        if !batchInFlight { try sendBatch() }
        batchInFlight = false
        // The batch statement's columns are the key, then the digest.
        let digests = try connection.receive { column in RowDigest(key: column(0) ?? "", digest: column(1) ?? "") }
        if let last = digests.last { lastKey = last.key }
        done = digests.count < batchSize
        if !done { try sendBatch() }
        return digests
    }

    private func sendBatch() throws {
        let (sql, parameters) = shape.batch(in: range, after: lastKey, limit: batchSize)
        try connection.send(sql, parameters)
        batchInFlight = true
    }

    /// Receives and drops a batch sent ahead that nobody will read, so the connection takes the next statement.
    private func settle() throws {
        guard batchInFlight else { return }
        batchInFlight = false
        _ = try connection.receive()
    }

    func digests(keys: [String]) throws -> [RowDigest] {
        try settle()
        let usable = keys.filter(shape.accepts)
        guard !usable.isEmpty else { return [] }
        let (sql, parameters) = shape.lookup(usable)
        return try connection.query(sql, parameters).map { RowDigest(key: $0[TableShape.keyAlias] ?? "", digest: $0[TableShape.digestAlias] ?? "") }
    }

    func values(key: String) throws -> [String?]? {
        try settle()
        guard shape.accepts(key) else { return nil }
        let (sql, parameters) = shape.values(key)
        guard let row = try connection.query(sql, parameters).first else { return nil }
        return shape.columns.map { row[$0] }
    }

    /// Sends the bucket checksums of `range` (`TableShape.buckets`); `receiveBuckets` reads them.
    func sendBuckets(in range: KeyRange, boundaries: [String]) throws {
        try settle()
        let (sql, parameters) = shape.buckets(in: range, boundaries: boundaries)
        try connection.send(sql, parameters)
    }

    /// Each bucket's row count and hash sum, by bucket number.
    func receiveBuckets() throws -> [Int: BucketSum] {
        var sums: [Int: BucketSum] = [:]
        for row in try connection.receive() {
            guard let bucket = Int(row["b"] ?? ""), let count = Int(row["n"] ?? "") else {
                throw ConsistencyError("\(description): unreadable bucket checksum")
            }
            sums[bucket] = BucketSum(rows: count, hashSum: row["s"] ?? "")
        }
        return sums
    }

    /// Boundaries cutting `range` into parts of `step` rows of this side.
    func cuts(in range: KeyRange, step: Int) throws -> [String] {
        try settle()
        let (sql, parameters) = shape.cuts(in: range, step: step)
        return try keys(sql, parameters)
    }

    /// About how many rows the table has: the planner's estimate, or a count when it has none.
    func estimatedRows() throws -> Double {
        try settle()
        if let estimate = Double(try connection.query(shape.estimate).first?["n"] ?? ""), estimate >= 1 { return estimate }
        let (sql, parameters) = shape.count()
        return Double(try connection.query(sql, parameters).first?["n"] ?? "") ?? 0
    }

    /// Keys of about `percent` % of the rows, in boundary order.
    func sample(percent: Double) throws -> [String] {
        try settle()
        let (sql, parameters) = shape.sample(percent: percent)
        return try keys(sql, parameters)
    }

    /// The first column of every row of a statement of keys, read straight into strings (a
    /// sample of a large table holds tens of thousands).
    private func keys(_ sql: String, _ parameters: [(any PostgresEncodable)?]) throws -> [String] {
        try connection.send(sql, parameters)
        return try connection.receive { column in column(0) }.compactMap { $0 }
    }

}

/// The rows of one bucket on one side: how many, and the sum of their 64-bit hashes (exact, as
/// PostgreSQL's numeric text).
struct BucketSum: Equatable {
    let rows: Int
    let hashSum: String
}

/// Why a comparison could not run.
package struct ConsistencyError: Error, CustomStringConvertible {
    package let message: String
    init(_ message: String) { self.message = message }
    package var description: String { message }
}
