package import Foundation

package struct Product: Codable, Sendable, Equatable {
    package var id: Int
    package var sku: String
    package var name: String
    package var description: String
    package var price: Decimal
    package var currency: String
    package var categoryId: Int?
    /// Units in stock (`stock_quantity`, as the migration guide's `products` table names it).
    package var stockQuantity: Int
    package var images: [String]
    package var active: Bool
    package var createdAt: Date
    package var updatedAt: Date
}

package struct Category: Codable, Sendable, Equatable {
    package var id: Int
    package var name: String
    package var slug: String
    package var parentId: Int?
}

package struct ReservationItem: Codable, Sendable, Equatable {
    package var productId: Int
    package var quantity: Int
}

/// Stock held for an order until it is confirmed or released.
package struct Reservation: Codable, Sendable, Equatable {
    package var orderId: String
    package var items: [ReservationItem]
    package var status: String
    package var createdAt: Date
}

/// What a reservation attempt came to.
package enum ReservationOutcome: Sendable, Equatable {
    case reserved(Reservation)
    /// Not enough stock for these products: nothing was reserved.
    case outOfStock([Int])
    case unknownProducts([Int])
}

/// A product before it has an id.
package struct NewProduct: Sendable {
    package var sku: String, name: String, description: String
    package var price: Decimal
    package var categoryId: Int?
    package var stockQuantity: Int
    package var images: [String]

    package init(sku: String, name: String, description: String, price: Decimal, categoryId: Int?, stockQuantity: Int, images: [String] = []) {
        self.sku = sku
        self.name = name
        self.description = description
        self.price = price
        self.categoryId = categoryId
        self.stockQuantity = stockQuantity
        self.images = images
    }
}

/// A page of the product listing.
package struct ProductQuery: Sendable {
    package var page = 1, perPage = 20
    /// Category ids to include (a category and its descendants).
    package var categoryIDs: [Int]?
    package var search: String?
}

/// The catalog database: `products`, `categories`, `product_images`, `inventory`.
/// Every change that announces itself takes the events to commit with it; where the event
/// needs what the store decides (a new id, the stock after a change), it takes a function.
package protocol CatalogStore: OutboxStore {
    func products(_ query: ProductQuery) async throws -> (products: [Product], total: Int)
    func product(id: Int) async throws -> Product?
    /// Throws `StoreError.duplicate` for a taken SKU.
    func insert(_ product: NewProduct, events: @escaping @Sendable (Product) -> [DomainEvent]) async throws -> Product
    func update(_ product: Product, events: [DomainEvent]) async throws
    func categories() async throws -> [Category]
    func insertCategory(name: String, slug: String, parentID: Int?) async throws -> Category
    /// Sets stock, or adjusts it by `delta`; throws `StoreError.conflict` if it would go below zero.
    func setStock(productID: Int, to stock: Int?, adjustBy delta: Int?, events: @escaping @Sendable (Product) -> [DomainEvent]) async throws -> Product
    /// Reserves all items or none, atomically; the same order id returns its existing reservation
    /// (and commits `events` only when it reserves now).
    func reserve(orderID: String, items: [ReservationItem], events: [DomainEvent]) async throws -> ReservationOutcome
    /// Releases an order's reservation and restores stock once, committing `events` only then;
    /// nil when there was none.
    func release(orderID: String, events: @escaping @Sendable (Reservation) -> [DomainEvent]) async throws -> Reservation?
    /// Up to `limit` products (active or not) with an id above `id`, in id order: the export.
    func products(after id: Int?, limit: Int) async throws -> [Product]
    func isReachable() async -> Bool
}

/// The default catalog store: in memory; an actor, so reservations are serialised.
package actor InMemoryCatalogStore: CatalogStore, InMemoryOutboxStore {
    var outbox = InMemoryOutbox()
    private var productsByID: [Int: Product] = [:]
    private var categoriesByID: [Int: Category] = [:]
    private var reservations: [String: Reservation] = [:]
    private var nextProductID = 1
    private var nextCategoryID = 1

    package init() {}

    package func products(_ query: ProductQuery) -> (products: [Product], total: Int) {
        var all = productsByID.values.filter(\.active).sorted { $0.id < $1.id }
        if let ids = query.categoryIDs { all = all.filter { $0.categoryId.map(ids.contains) ?? false } }
        // Plain substring search, case-insensitive: no character is a wildcard.
        if let search = query.search?.lowercased(), !search.isEmpty {
            all = all.filter { $0.name.lowercased().contains(search) || $0.description.lowercased().contains(search) }
        }
        let start = min((query.page - 1) * query.perPage, all.count)
        return (Array(all[start..<min(start + query.perPage, all.count)]), all.count)
    }

    package func product(id: Int) -> Product? { productsByID[id] }

    package func insert(_ new: NewProduct, events: @escaping @Sendable (Product) -> [DomainEvent]) throws -> Product {
        guard !productsByID.values.contains(where: { $0.sku == new.sku }) else { throw StoreError.duplicate("sku") }
        let now = Date()
        let product = Product(id: nextProductID, sku: new.sku, name: new.name, description: new.description, price: new.price, currency: "USD",
                              categoryId: new.categoryId, stockQuantity: new.stockQuantity, images: new.images, active: true, createdAt: now, updatedAt: now)
        nextProductID += 1
        productsByID[product.id] = product
        outbox.append(events(product))
        return product
    }

    package func update(_ product: Product, events: [DomainEvent]) throws {
        guard let stored = productsByID[product.id] else { throw StoreError.notFound("product") }
        if productsByID.values.contains(where: { $0.sku == product.sku && $0.id != product.id }) { throw StoreError.duplicate("sku") }
        var updated = product
        updated.stockQuantity = stored.stockQuantity
        productsByID[product.id] = updated
        outbox.append(events)
    }

    package func categories() -> [Category] { categoriesByID.values.sorted { $0.id < $1.id } }

    package func insertCategory(name: String, slug: String, parentID: Int?) throws -> Category {
        guard !categoriesByID.values.contains(where: { $0.slug == slug }) else { throw StoreError.duplicate("slug") }
        let category = Category(id: nextCategoryID, name: name, slug: slug, parentId: parentID)
        nextCategoryID += 1
        categoriesByID[category.id] = category
        return category
    }

    package func setStock(productID: Int, to stock: Int?, adjustBy delta: Int?, events: @escaping @Sendable (Product) -> [DomainEvent]) throws -> Product {
        guard var product = productsByID[productID] else { throw StoreError.notFound("product") }
        let (target, overflow) = stock.map { ($0, false) } ?? product.stockQuantity.addingReportingOverflow(delta ?? 0)
        guard !overflow, (0...InputLimits.maxStock).contains(target) else {
            throw StoreError.conflict(Self.stockRangeMessage(productID, now: product.stockQuantity))
        }
        product.stockQuantity = target
        product.updatedAt = Date()
        productsByID[productID] = product
        outbox.append(events(product))
        return product
    }

    package func reserve(orderID: String, items: [ReservationItem], events: [DomainEvent]) -> ReservationOutcome {
        if let existing = reservations[orderID], existing.status == "reserved" { return .reserved(existing) }
        let unknown = items.map(\.productId).filter { productsByID[$0] == nil }
        if !unknown.isEmpty { return .unknownProducts(unknown) }
        let wanted = Dictionary(items.map { ($0.productId, $0.quantity) }, uniquingKeysWith: +)
        let short = wanted.filter { productsByID[$0.key]!.stockQuantity < $0.value }.keys.sorted()
        if !short.isEmpty { return .outOfStock(short) }
        for (id, quantity) in wanted { productsByID[id]!.stockQuantity -= quantity }
        let reservation = Reservation(orderId: orderID, items: items, status: "reserved", createdAt: Date())
        reservations[orderID] = reservation
        outbox.append(events)
        return .reserved(reservation)
    }

    package func release(orderID: String, events: @escaping @Sendable (Reservation) -> [DomainEvent]) -> Reservation? {
        guard var reservation = reservations[orderID] else { return nil }
        if reservation.status == "reserved" {
            for item in reservation.items { productsByID[item.productId]?.stockQuantity += item.quantity }
            reservation.status = "released"
            reservations[orderID] = reservation
            outbox.append(events(reservation))
        }
        return reservation
    }

    package func products(after id: Int?, limit: Int) -> [Product] {
        KeysetPage.page(productsByID.values, after: id, limit: limit) { $0.id }
    }

    package func isReachable() -> Bool { true }

    /// Why a stock change was refused (the same words from every store).
    nonisolated static func stockRangeMessage(_ productID: Int, now: Int) -> String {
        "stock of product \(productID) must stay between 0 and \(InputLimits.maxStock) (now \(now))"
    }
}
