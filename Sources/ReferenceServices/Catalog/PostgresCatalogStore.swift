import Foundation
import TransportPostgres

/// The catalog on PostgreSQL: `categories`, `products`, `product_images`, `inventory`
/// (stock ≥ 0 enforced by a CHECK constraint) and the saga's `reservations`.
package final class PostgresCatalogStore: CatalogStore, PostgresOutboxStore {
    let pool: PostgresPool

    init(pool: PostgresPool) { self.pool = pool }

    package static func open(_ url: String) async throws -> PostgresCatalogStore {
        let pool = try await PostgresDatabases.migratedPool(url, connections: 12, schema: """
            CREATE TABLE categories (
              id SERIAL PRIMARY KEY, name TEXT NOT NULL, slug TEXT NOT NULL UNIQUE, parent_id INT REFERENCES categories(id));
            CREATE TABLE products (
              id SERIAL PRIMARY KEY, sku TEXT NOT NULL UNIQUE, name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
              price NUMERIC(10,2) NOT NULL CHECK (price >= 0), currency TEXT NOT NULL DEFAULT 'USD',
              category_id INT REFERENCES categories(id), active BOOLEAN NOT NULL DEFAULT true,
              created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL);
            CREATE INDEX products_category ON products(category_id);
            CREATE TABLE product_images (
              product_id INT NOT NULL REFERENCES products(id) ON DELETE CASCADE, position INT NOT NULL, url TEXT NOT NULL,
              PRIMARY KEY (product_id, position));
            CREATE TABLE inventory (
              product_id INT PRIMARY KEY REFERENCES products(id) ON DELETE CASCADE,
              stock INT NOT NULL CHECK (stock >= 0), updated_at TIMESTAMPTZ NOT NULL DEFAULT now());
            CREATE TABLE reservations (
              order_id TEXT PRIMARY KEY, status TEXT NOT NULL CHECK (status IN ('reserved', 'released')),
              created_at TIMESTAMPTZ NOT NULL DEFAULT now());
            CREATE TABLE reservation_items (
              order_id TEXT NOT NULL REFERENCES reservations(order_id) ON DELETE CASCADE, product_id INT NOT NULL REFERENCES products(id),
              quantity INT NOT NULL CHECK (quantity > 0), PRIMARY KEY (order_id, product_id))
            """)
        return PostgresCatalogStore(pool: pool)
    }

    static let select = """
        SELECT p.*, i.stock AS stock_quantity,
               COALESCE((SELECT json_agg(url ORDER BY position) FROM product_images WHERE product_id = p.id), '[]') AS images
        FROM products p JOIN inventory i ON i.product_id = p.id
        """

    static func product(_ row: PostgresRow) throws -> Product {
        Product(id: try row.decode("id"), sku: try row.decode("sku"), name: try row.decode("name"), description: try row.decode("description"),
                price: try row.decode("price"), currency: try row.decode("currency"), categoryId: try row.decodeIfPresent("category_id"),
                stockQuantity: try row.decode("stock_quantity"), images: try row.json("images", as: [String].self), active: try row.decode("active"),
                createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    package func products(_ query: ProductQuery) async throws -> (products: [Product], total: Int) {
        // strpos, not ILIKE: a search for `%` or `_` is a plain substring, as in memory.
        let filter = "WHERE p.active AND ($1::int[] IS NULL OR p.category_id = ANY($1)) AND ($2::text IS NULL OR strpos(lower(p.name), lower($2)) > 0 OR strpos(lower(p.description), lower($2)) > 0)"
        let parameters: [(any PostgresEncodable)?] = [query.categoryIDs, query.search.flatMap { $0.isEmpty ? nil : $0 }]
        return try await pool.withConnection { c in
            let total = try c.query("SELECT count(*) AS n FROM products p \(filter)", parameters)[0].decode("n", as: Int.self)
            let rows = try c.query("\(Self.select) \(filter) ORDER BY p.id LIMIT $3 OFFSET $4",
                                   parameters + [query.perPage, (query.page - 1) * query.perPage])
            return (try rows.map(Self.product), total)
        }
    }

    package func products(after id: Int?, limit: Int) async throws -> [Product] {
        try await pool.query("\(Self.select) WHERE ($1::int IS NULL OR p.id > $1) ORDER BY p.id LIMIT $2", [id, limit]).map(Self.product)
    }

    package func product(id: Int) async throws -> Product? {
        try await pool.query("\(Self.select) WHERE p.id = $1", [id]).first.map(Self.product)
    }

    package func insert(_ new: NewProduct, events: @escaping @Sendable (Product) -> [DomainEvent]) async throws -> Product {
        do {
            let id = try await pool.withConnection { c in
                try c.transaction { tx -> Int in
                    let now = Date()
                    let id = try tx.query("""
                        INSERT INTO products (sku, name, description, price, category_id, created_at, updated_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id
                        """, [new.sku, new.name, new.description, new.price, new.categoryId, now])[0].decode("id", as: Int.self)
                    try tx.execute("INSERT INTO inventory (product_id, stock) VALUES ($1, $2)", [id, new.stockQuantity])
                    for (position, url) in new.images.enumerated() {
                        try tx.execute("INSERT INTO product_images (product_id, position, url) VALUES ($1, $2, $3)", [id, position, url])
                    }
                    let product = try Self.product(tx.query("\(Self.select) WHERE p.id = $1", [id])[0])
                    try PostgresOutbox.insert(tx, events(product))
                    return id
                }
            }
            return try await product(id: id)!
        } catch let error as PostgresError where error.isUniqueViolation {
            throw StoreError.duplicate("sku")
        }
    }

    package func update(_ product: Product, events: [DomainEvent]) async throws {
        do {
            let changed = try await pool.withConnection { c in
                try c.transaction { tx -> Int in
                    let n = try tx.execute("""
                        UPDATE products SET sku = $2, name = $3, description = $4, price = $5, category_id = $6, active = $7, updated_at = $8
                        WHERE id = $1
                        """, [product.id, product.sku, product.name, product.description, product.price, product.categoryId, product.active, product.updatedAt])
                    try tx.execute("DELETE FROM product_images WHERE product_id = $1", [product.id])
                    for (position, url) in product.images.enumerated() {
                        try tx.execute("INSERT INTO product_images (product_id, position, url) VALUES ($1, $2, $3)", [product.id, position, url])
                    }
                    if n == 1 { try PostgresOutbox.insert(tx, events) }
                    return n
                }
            }
            if changed == 0 { throw StoreError.notFound("product") }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw StoreError.duplicate("sku")
        }
    }

    package func categories() async throws -> [Category] {
        try await pool.query("SELECT * FROM categories ORDER BY id").map { row in
            Category(id: try row.decode("id"), name: try row.decode("name"), slug: try row.decode("slug"), parentId: try row.decodeIfPresent("parent_id"))
        }
    }

    package func insertCategory(name: String, slug: String, parentID: Int?) async throws -> Category {
        do {
            let id = try await pool.query("INSERT INTO categories (name, slug, parent_id) VALUES ($1, $2, $3) RETURNING id", [name, slug, parentID])[0]
                .decode("id", as: Int.self)
            return Category(id: id, name: name, slug: slug, parentId: parentID)
        } catch let error as PostgresError where error.isUniqueViolation {
            throw StoreError.duplicate("slug")
        }
    }

    package func setStock(productID: Int, to stock: Int?, adjustBy delta: Int?, events: @escaping @Sendable (Product) -> [DomainEvent]) async throws -> Product {
        let changed = try await pool.withConnection { c in
            try c.transaction { tx -> Product? in
                let changed = try tx.execute("""
                    UPDATE inventory SET stock = COALESCE($2, stock + $3), updated_at = now()
                    WHERE product_id = $1 AND COALESCE($2::bigint, stock::bigint + $3) BETWEEN 0 AND $4
                    """, [productID, stock, delta ?? 0, InputLimits.maxStock])
                guard changed == 1 else { return nil }
                let product = try Self.product(tx.query("\(Self.select) WHERE p.id = $1", [productID])[0])
                try PostgresOutbox.insert(tx, events(product))
                return product
            }
        }
        if let changed { return changed }
        guard let product = try await product(id: productID) else { throw StoreError.notFound("product") }
        throw StoreError.conflict(InMemoryCatalogStore.stockRangeMessage(productID, now: product.stockQuantity))
    }

    package func reserve(orderID: String, items: [ReservationItem], events: [DomainEvent]) async throws -> ReservationOutcome {
        let wanted = Dictionary(items.map { ($0.productId, $0.quantity) }, uniquingKeysWith: +).sorted { $0.key < $1.key }
        do {
            return try await pool.withConnection { c in
            try c.transaction { tx -> ReservationOutcome in
                // The reservation row first: a concurrent attempt for the same order waits here.
                let inserted = try tx.execute("INSERT INTO reservations (order_id, status) VALUES ($1, 'reserved') ON CONFLICT (order_id) DO NOTHING", [orderID])
                if inserted == 0, let existing = try Self.reservation(tx, orderID), existing.status == "reserved" { return .reserved(existing) }
                if inserted == 0 {
                    // A released reservation for the same order is taken up again.
                    try tx.execute("UPDATE reservations SET status = 'reserved' WHERE order_id = $1", [orderID])
                    try tx.execute("DELETE FROM reservation_items WHERE order_id = $1", [orderID])
                }
                let known = Set(try tx.query("SELECT id FROM products WHERE id = ANY($1)", [wanted.map(\.key)]).map { try $0.decode("id", as: Int.self) })
                let unknown = wanted.map(\.key).filter { !known.contains($0) }
                if !unknown.isEmpty { throw Abort.outcome(.unknownProducts(unknown)) }
                var short: [Int] = []
                // In product order, so concurrent reservations lock rows in the same order.
                for (productID, quantity) in wanted {
                    let updated = try tx.execute("UPDATE inventory SET stock = stock - $2, updated_at = now() WHERE product_id = $1 AND stock >= $2", [productID, quantity])
                    if updated == 0 {
                        short.append(productID)
                    } else {
                        try tx.execute("INSERT INTO reservation_items (order_id, product_id, quantity) VALUES ($1, $2, $3)", [orderID, productID, quantity])
                    }
                }
                if !short.isEmpty { throw Abort.outcome(.outOfStock(short)) }
                try PostgresOutbox.insert(tx, events)
                return .reserved(try Self.reservation(tx, orderID)!)
            }
            }
        } catch Abort.outcome(let outcome) {
            return outcome
        }
    }

    /// Rolls the transaction back and reports an outcome that is not a reservation.
    enum Abort: Error { case outcome(ReservationOutcome) }

    static func reservation(_ c: PostgresConnection, _ orderID: String) throws -> Reservation? {
        guard let row = try c.query("SELECT * FROM reservations WHERE order_id = $1", [orderID]).first else { return nil }
        let items = try c.query("SELECT product_id, quantity FROM reservation_items WHERE order_id = $1 ORDER BY product_id", [orderID]).map {
            ReservationItem(productId: try $0.decode("product_id"), quantity: try $0.decode("quantity"))
        }
        return Reservation(orderId: orderID, items: items, status: try row.decode("status"), createdAt: try row.decode("created_at"))
    }

    package func release(orderID: String, events: @escaping @Sendable (Reservation) -> [DomainEvent]) async throws -> Reservation? {
        try await pool.withConnection { c in
            try c.transaction { tx -> Reservation? in
                let released = try tx.execute("UPDATE reservations SET status = 'released' WHERE order_id = $1 AND status = 'reserved'", [orderID])
                if released == 1 {
                    try tx.execute("""
                        UPDATE inventory i SET stock = i.stock + r.quantity, updated_at = now()
                        FROM reservation_items r WHERE r.order_id = $1 AND r.product_id = i.product_id
                        """, [orderID])
                    if let reservation = try Self.reservation(tx, orderID) { try PostgresOutbox.insert(tx, events(reservation)) }
                }
                return try Self.reservation(tx, orderID)
            }
        }
    }

    package func isReachable() async -> Bool { await PostgresDatabases.ping(pool) }
}
