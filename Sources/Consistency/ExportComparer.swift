import Foundation
import Transport

/// One side of a comparison read from a service's export endpoint
/// (`GET …/admin/export/TABLE?after=KEY&limit=N`, admin token): the reference services' way
/// to compare stores that live in memory. Rows come in key order, page after page; each row's
/// digest is its compared values themselves, so a differing row also shows its values.
final class ExportReader {
    let url: String
    let description: String
    private let token: String?
    private let batch: Int
    private let client = HTTPClient()
    /// The first page, read by `open` and handed out by the first `next`.
    private var first: Page?
    private var after: String?
    private var done = false

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

    /// Reads the first page: whether keys sort as numbers, and the columns the table offers.
    func open() throws -> (numericKeys: Bool, columns: [String]) {
        let page = try fetch()
        first = page
        return (page.keyOrder == "numeric", page.columns)
    }

    /// The next page as digests of `columns` (empty at the end).
    func next(columns: [String]) throws -> [RowDigest] {
        guard !done else { return [] }
        let page = try first ?? fetch()
        first = nil
        for column in columns where !page.columns.contains(column) {
            throw ConsistencyError("\(description) has no column '\(column)' (it has \(page.columns.joined(separator: ", ")))")
        }
        after = page.nextAfter
        done = page.nextAfter == nil
        return page.rows.map { row in
            RowDigest(key: (row[page.key] ?? nil) ?? "", digest: Self.digest(columns.map { row[$0] ?? nil }))
        }
    }

    private func fetch() throws -> Page {
        guard var components = URLComponents(string: url) else { throw ConsistencyError("not a URL: \(description)") }
        var items = components.queryItems ?? []
        items.append(URLQueryItem(name: "limit", value: String(batch)))
        if let after { items.append(URLQueryItem(name: "after", value: after)) }
        components.queryItems = items
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let token { headers.append(("Authorization", "Bearer " + token)) }
        let response: HTTPClientResponse
        do {
            response = try client.send(HTTPClientRequest(url: components.string!, headers: headers, timeout: 30))
        } catch {
            throw ConsistencyError("cannot read \(description): \(error)")
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

    static let separator: Character = "\u{1f}", null = "\u{0}"

    static func digest(_ values: [String?]) -> String { values.map { $0 ?? null }.joined(separator: String(separator)) }

    static func values(_ digest: String, count: Int) -> [String?] {
        let parts = digest.split(separator: separator, omittingEmptySubsequences: false).map { $0 == null ? nil : String($0) }
        return parts.count == count ? parts : Array(repeating: nil, count: count)
    }
}

/// Compares a table exported by two services (`tollgate consistency --source http://…`).
public enum ExportComparer {
    /// The most rows an export page holds.
    public static let maxBatch = 5_000

    /// - Parameters:
    ///   - columns: the compared columns; nil: every column the source exports.
    public static func compare(source: String, target: String, token: String?, columns: [String]?, map: [String: String] = [:],
                               targetMayHaveMore: Bool = false, batch: Int = 1_000) throws -> TableComparison {
        let sourceReader = ExportReader(url: source, token: token, batch: batch)
        let targetReader = ExportReader(url: target, token: token, batch: batch)
        // The first pages say how keys sort and what the source offers; the merge starts with them.
        let offered = try sourceReader.open()
        let chosen = columns ?? offered.columns
        let targetColumns = chosen.map { map[$0] ?? $0 }
        let numeric = offered.numericKeys
        guard try targetReader.open().numericKeys == numeric else {
            throw ConsistencyError("the keys sort differently: \(sourceReader.description) and \(targetReader.description)")
        }
        var merge = DigestMerge(source: sourceReader.description, target: targetReader.description, numericKeys: numeric)
        try merge.run(nextSource: { try sourceReader.next(columns: chosen) }, nextTarget: { try targetReader.next(columns: targetColumns) })
        var result = merge.result
        result.targetMayHaveMore = targetMayHaveMore
        result.examples.differing = result.examples.differing.map { example in
            guard let digests = merge.exampleDigests[example.key] else { return example }
            let before = ExportReader.values(digests.source, count: chosen.count), after = ExportReader.values(digests.target, count: chosen.count)
            let columns = chosen.indices.compactMap { i -> TableComparison.ColumnDifference? in
                before[i] == after[i] ? nil : TableComparison.ColumnDifference(column: chosen[i] == targetColumns[i] ? chosen[i] : "\(chosen[i])→\(targetColumns[i])",
                                                                              source: before[i], target: after[i])
            }
            return TableComparison.Difference(key: example.key, columns: columns)
        }
        return result
    }
}
