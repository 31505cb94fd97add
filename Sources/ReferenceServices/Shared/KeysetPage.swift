/// One page of an in-memory table in key order, as the export endpoints read it: the rows whose
/// key comes after `after` (all, when nil), the first `limit` of them. Text keys sort byte by
/// byte, as PostgreSQL's `COLLATE "C"` sorts them for the same pages on the other store.
enum KeysetPage {
    static func page<Row, Key: Comparable>(_ rows: some Collection<Row>, after: Key?, limit: Int, key: (Row) -> Key) -> [Row] {
        Array(rows.filter { after == nil || after! < key($0) }.sorted { key($0) < key($1) }.prefix(limit))
    }

    static func page<Row>(_ rows: some Collection<Row>, after: String?, limit: Int, key: (Row) -> String) -> [Row] {
        page(rows, after: after.map(ByteOrdered.init), limit: limit) { ByteOrdered(key($0)) }
    }

    /// A text key compared by its UTF-8 bytes.
    struct ByteOrdered: Comparable {
        let text: String
        init(_ text: String) { self.text = text }
        static func < (a: ByteOrdered, b: ByteOrdered) -> Bool { a.text.utf8.lexicographicallyPrecedes(b.text.utf8) }
    }
}
