import Foundation
import Hummingbird

/// One table a service exports for consistency checks: `GET /admin/export/NAME?after=KEY&limit=N`
/// (admin token) answers rows in key order after `after`, each as its key and columns in text,
/// so two stores — in memory or not — can be compared row by row without a database.
/// `?keys=K1,K2,…` (at most `maxKeys`) answers just those rows that exist, for re-checks.
struct ExportTable: Sendable {
    let name: String
    let key: String
    let columns: [String]
    /// Keys sort as numbers (product ids), else byte by byte.
    var numericKey = false
    /// Up to `limit` rows after the key, in key order.
    let page: @Sendable (_ after: String?, _ limit: Int) async throws -> [[String: String?]]
    /// The row with this key, nil when there is none.
    let row: @Sendable (_ key: String) async throws -> [String: String?]?

    static let maxLimit = 5_000
    /// The most keys one `?keys=` names, and the longest list: a URL stays far below the server's header limit.
    static let maxKeys = 100, maxKeysLength = 4_000

    static func users(_ store: any UserStore) -> ExportTable {
        @Sendable func row(_ user: User) -> [String: String?] {
            ["id": user.id, "email": user.email, "first_name": user.firstName, "last_name": user.lastName, "phone": user.phone, "role": user.role]
        }
        return ExportTable(name: "users", key: "id", columns: ["email", "first_name", "last_name", "phone", "role"],
                           page: { after, limit in try await store.users(after: after, limit: limit).map(row) },
                           row: { key in try await store.user(id: key).map(row) })
    }

    static func products(_ store: any CatalogStore) -> ExportTable {
        @Sendable func row(_ product: Product) -> [String: String?] {
            ["id": String(product.id), "sku": product.sku, "name": product.name, "price": "\(product.price)", "currency": product.currency,
             "active": String(product.active), "stock_quantity": String(product.stockQuantity)]
        }
        return ExportTable(name: "products", key: "id", columns: ["sku", "name", "price", "currency", "active", "stock_quantity"], numericKey: true,
                           page: { after, limit in
                               let start = try after.map { text in
                                   guard let id = Int(text) else { throw APIError.invalid("'after' must be a product id") }
                                   return id
                               }
                               return try await store.products(after: start, limit: limit).map(row)
                           },
                           row: { key in
                               guard let id = Int(key) else { return nil }
                               return try await store.product(id: id).map(row)
                           })
    }

    static func orders(_ store: any OrderStore) -> ExportTable {
        @Sendable func row(_ order: Order) -> [String: String?] {
            ["id": order.id, "user_id": order.userId, "status": order.status.rawValue,
             "items": order.items.map { "\($0.productId)x\($0.quantity)" }.joined(separator: ","),
             "total": "\(order.total)", "currency": order.currency, "payment_id": order.paymentId]
        }
        return ExportTable(name: "orders", key: "id", columns: ["user_id", "status", "items", "total", "currency", "payment_id"],
                           page: { after, limit in try await store.orders(after: after, limit: limit).map(row) },
                           row: { key in try await store.order(id: key).map(row) })
    }

    struct Page: Encodable {
        let table: String, key: String, columns: [String]
        /// "numeric" or "bytes": how the rows are ordered by key.
        let keyOrder: String
        let rows: [[String: String?]]
        /// The `after` of the next page; null on the last.
        let nextAfter: String?

        enum CodingKeys: String, CodingKey { case table, key, columns, keyOrder = "key_order", rows, nextAfter = "next_after" }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(table, forKey: .table)
            try container.encode(key, forKey: .key)
            try container.encode(columns, forKey: .columns)
            try container.encode(keyOrder, forKey: .keyOrder)
            try container.encode(rows, forKey: .rows)
            try container.encode(nextAfter, forKey: .nextAfter)
        }
    }

    func register(on router: Router<ServiceContext>, signer: JWTSigner) {
        router.get("/admin/export/\(name)") { request, _ in
            _ = try signer.claims(request.header("Authorization"), requiring: [Role.admin])
            let query = request.uri.queryParameters
            if let list = query["keys"] {
                let keys = list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard list.count <= Self.maxKeysLength, keys.count <= Self.maxKeys, keys.allSatisfy({ !$0.isEmpty && $0.count <= 64 }) else {
                    throw APIError.invalid("'keys' must list 1 to \(Self.maxKeys) keys of at most 64 characters, separated by commas (\(Self.maxKeysLength) characters in all)")
                }
                var rows: [[String: String?]] = []
                for wanted in Set(keys) { if let found = try await row(wanted) { rows.append(found) } }
                rows.sort { a, b in
                    let x = (a[key] ?? nil) ?? "", y = (b[key] ?? nil) ?? ""
                    if numericKey, let i = Int(x), let j = Int(y) { return i < j }
                    return x.utf8.lexicographicallyPrecedes(y.utf8)
                }
                return try JSON.response(Page(table: name, key: key, columns: columns, keyOrder: numericKey ? "numeric" : "bytes", rows: rows, nextAfter: nil))
            }
            let after = query["after"].map(String.init)
            try Validate.text(after, "after", max: 64)
            var limit = 1_000
            if let text = query["limit"] {
                guard let value = Int(text), (1...Self.maxLimit).contains(value) else {
                    throw APIError.invalid("'limit' must be a whole number from 1 to \(Self.maxLimit)")
                }
                limit = value
            }
            let rows = try await page(after, limit)
            let last = rows.count == limit ? rows.last?[key] ?? nil : nil
            return try JSON.response(Page(table: name, key: key, columns: columns, keyOrder: numericKey ? "numeric" : "bytes", rows: rows, nextAfter: last))
        }
    }
}
