import Foundation
import Transport
import TransportHTTP

/// One side of a comparison read from a service's export endpoint
/// (`GET …/admin/export/TABLE?after=KEY&limit=N`, admin token): the reference services' way
/// to compare stores that live in memory. Rows come in key order, page after page; each row's
/// digest is its compared values themselves (encoded unambiguously). Re-checks ask for given
/// keys (`?keys=K1,K2,…`, at most `ExportReader.keysPerRequest`).
final class ExportReader: ComparedSide {
    let url: String
    let description: String
    let keysPerLookup = ExportReader.keysPerRequest
    private let token: String?
    private let batch: Int
    private let client = HTTPClient()
    /// The compared columns as this side names them (set by `choose`).
    private var columns: [String] = []
    /// The first page, read by `open` and handed out by the first `nextBatch`.
    private var first: Page?
    private var after: String?
    private var done = false
    /// How the export sorts its keys (read from the first page).
    private var order: KeyOrder = .bytes

    /// The most keys one re-check request names (the reference services accept up to 100).
    static let keysPerRequest = 100
    /// The largest export page accepted, in bytes.
    static let maxPageBytes = 64 << 20

    init(url: String, token: String?, batch: Int) {
        self.url = url
        self.token = token
        self.batch = batch
        description = Redaction.url(url)
    }

    struct Page: Decodable {
        let table: String
        let key: String
        let columns: [String]
        let keyOrder: String?
        let rows: [[String: String?]]
        let nextAfter: String?

        enum CodingKeys: String, CodingKey { case table, key, columns, keyOrder = "key_order", rows, nextAfter = "next_after" }
    }

    /// Reads the first page: how keys sort, and the columns the table offers.
    func open() throws -> (order: KeyOrder, columns: [String]) {
        let page = try fetch(["limit": String(batch)])
        first = page
        order = page.keyOrder == "numeric" ? .numeric : .bytes
        return (order, page.columns)
    }

    /// Compares these columns (this side's names); each must be one the export offers.
    func choose(_ columns: [String]) throws {
        let offered = first?.columns ?? []
        for column in columns where !offered.contains(column) {
            throw ConsistencyError("\(description) has no column '\(column)' (it has \(offered.joined(separator: ", ")))")
        }
        self.columns = columns
    }

    func nextBatch() throws -> [RowDigest] {
        guard !done else { return [] }
        let page = try first ?? fetch(["limit": String(batch)].merging(after.map { ["after": $0] } ?? [:]) { a, _ in a })
        first = nil
        // Keys must rise, page after page: a page that does not move past where it started (or
        // pages that go round, a → b → a) would be read forever.
        let keys = page.rows.map { ($0[page.key] ?? nil) ?? "" }
        var previous = after
        for key in keys {
            if let previous, !order.precedes(previous, key) {
                throw ConsistencyError("\(description) does not advance: after '\(previous.prefix(100))' it answered the key '\(key.prefix(100))' (keys must rise)")
            }
            previous = key
        }
        if let next = page.nextAfter {
            guard !page.rows.isEmpty, after.map({ order.precedes($0, next) }) ?? true else {
                throw ConsistencyError("\(description) does not advance: after '\(after?.prefix(100) ?? "")' it answered next_after '\(next.prefix(100))'")
            }
        }
        after = page.nextAfter
        done = page.nextAfter == nil
        return page.rows.map { digest($0, key: page.key) }
    }

    func digests(keys: [String]) throws -> [RowDigest] {
        let page = try fetch(["keys": keys.joined(separator: ",")])
        return page.rows.map { digest($0, key: page.key) }
    }

    func values(key: String) throws -> [String?]? {
        guard let row = try fetch(["keys": key]).rows.first else { return nil }
        return columns.map { row[$0] ?? nil }
    }

    private func digest(_ row: [String: String?], key: String) -> RowDigest {
        RowDigest(key: (row[key] ?? nil) ?? "", digest: RowEncoding.encode(columns.map { row[$0] ?? nil }))
    }

    private func fetch(_ parameters: [String: String]) throws -> Page {
        guard var components = URLComponents(string: url) else { throw ConsistencyError("not a URL: \(description)") }
        components.queryItems = (components.queryItems ?? []) + parameters.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let token { headers.append(("Authorization", "Bearer " + token)) }
        let response: HTTPClientResponse
        do {
            response = try client.send(HTTPClientRequest(url: components.string!, headers: headers, timeout: 30, maxResponseBytes: Self.maxPageBytes))
        } catch {
            throw ConsistencyError("cannot read \(description): \(Redaction.scrub("\(error)", url: url))")
        }
        guard response.status == 200 else {
            let body = String(decoding: response.body.prefix(300), as: UTF8.self)
            throw ConsistencyError("\(description) answered \(response.status)\(response.status == 401 || response.status == 403 ? " (an admin token is needed: --token or TOLLGATE_ADMIN_TOKEN)" : ""): \(body)")
        }
        do {
            return try JSONDecoder().decode(Page.self, from: Data(response.body))
        } catch {
            throw ConsistencyError("\(description) did not answer an export page: \(error)")
        }
    }
}

/// Compares a table exported by two services (`tollgate consistency --source http://…`).
package enum ExportComparer {
    /// The most rows an export page holds.
    package static let maxBatch = 5_000

    /// - Parameters:
    ///   - columns: the compared columns; nil: every column the source exports.
    package static func compare(source: String, target: String, token: String?, columns: [String]?, map: [String: String] = [:],
                               targetMayHaveMore: Bool = false, batch: Int = 1_000, recheck: RecheckPolicy = RecheckPolicy(),
                               shouldStop: () -> Bool = { false }) throws -> TableComparison {
        let sourceReader = ExportReader(url: source, token: token, batch: batch)
        let targetReader = ExportReader(url: target, token: token, batch: batch)
        // The first pages say how keys sort and what the source offers; the merge starts with them.
        let offered = try sourceReader.open()
        let chosen = columns ?? offered.columns
        let targetColumns = chosen.map { map[$0] ?? $0 }
        guard try targetReader.open().order == offered.order else {
            throw ConsistencyError("the keys sort differently: \(sourceReader.description) and \(targetReader.description)")
        }
        try sourceReader.choose(chosen)
        try targetReader.choose(targetColumns)
        return try RowComparer.compare(source: sourceReader, target: targetReader, order: offered.order,
                                       columns: zip(chosen, targetColumns).map { $0 == $1 ? $0 : "\($0)→\($1)" },
                                       targetMayHaveMore: targetMayHaveMore, policy: recheck, shouldStop: shouldStop)
    }
}
