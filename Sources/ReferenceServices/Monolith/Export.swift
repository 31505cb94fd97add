import Foundation
import Hummingbird

/// One table a service exports for consistency checks: `GET /admin/export/NAME?after=KEY&limit=N`
/// (admin token) answers rows in key order after `after`, each as its key and columns in text,
/// so two stores — in memory or not — can be compared row by row without a database.
struct ExportTable: Sendable {
    let name: String
    let key: String
    let columns: [String]
    /// Keys sort as numbers (product ids), else byte by byte.
    var numericKey = false
    /// Up to `limit` rows after the key, in key order.
    let page: @Sendable (_ after: String?, _ limit: Int) async throws -> [[String: String?]]

    static let maxLimit = 5_000

    static func users(_ store: any UserStore) -> ExportTable {
        ExportTable(name: "users", key: "id", columns: ["email", "first_name", "last_name", "phone", "role"]) { after, limit in
            try await store.users(after: after, limit: limit).map {
                ["id": $0.id, "email": $0.email, "first_name": $0.firstName, "last_name": $0.lastName, "phone": $0.phone, "role": $0.role]
            }
        }
    }

    static func products(_ store: any CatalogStore) -> ExportTable {
        ExportTable(name: "products", key: "id", columns: ["sku", "name", "price", "currency", "active", "stock_quantity"], numericKey: true) { after, limit in
            let start = try after.map { text in
                guard let id = Int(text) else { throw APIError.invalid("'after' must be a product id") }
                return id
            }
            return try await store.products(after: start, limit: limit).map {
                ["id": String($0.id), "sku": $0.sku, "name": $0.name, "price": "\($0.price)", "currency": $0.currency,
                 "active": String($0.active), "stock_quantity": String($0.stockQuantity)]
            }
        }
    }

    static func orders(_ store: any OrderStore) -> ExportTable {
        ExportTable(name: "orders", key: "id", columns: ["user_id", "status", "items", "total", "currency", "payment_id"]) { after, limit in
            try await store.orders(after: after, limit: limit).map {
                ["id": $0.id, "user_id": $0.userId, "status": $0.status.rawValue,
                 "items": $0.items.map { "\($0.productId)x\($0.quantity)" }.joined(separator: ","),
                 "total": "\($0.total)", "currency": $0.currency, "payment_id": $0.paymentId]
            }
        }
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
