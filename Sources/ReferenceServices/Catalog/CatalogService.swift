import Foundation
import HTTPTypes
package import Hummingbird

/// The catalog service: products, categories, stock, and the saga's inventory reservations.
package struct CatalogService: Sendable {
    let store: any CatalogStore
    /// Publishes the events the store commits with each change.
    let outbox: OutboxRelay
    let signer: JWTSigner

    package init(store: any CatalogStore, outbox: OutboxRelay, signer: JWTSigner) {
        self.store = store
        self.outbox = outbox
        self.signer = signer
    }

    struct ProductInput: Decodable {
        let sku: String?, name: String?, description: String?
        let price: Decimal?
        let categoryId: Int?
        let stockQuantity: Int?
        let images: [String]?
        let active: Bool?
    }
    struct StockChange: Decodable { let stockQuantity: Int?; let adjustment: Int? }
    struct ReservationRequest: Decodable { let orderId: String; let items: [ReservationItem] }
    struct Page: Encodable { let products: [Product]; let page: Int; let perPage: Int; let total: Int; let totalPages: Int }
    struct CategoryNode: Encodable {
        let id: Int
        let name: String
        let slug: String
        let parentId: Int?
        let children: [CategoryNode]

        enum CodingKeys: String, CodingKey { case id, name, slug, parentId, children }

        /// `parent_id` is written as null for top-level categories, not left out.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(slug, forKey: .slug)
            try container.encode(parentId, forKey: .parentId)
            try container.encode(children, forKey: .children)
        }
    }

    package func router(metrics: MetricsRegistry, options: ServiceOptions = ServiceOptions()) -> Router<ServiceContext> {
        let router = makeServiceRouter(name: "catalog-service", metrics: metrics, options: options, readiness: [
            "database": { await store.isReachable() }, "kafka": { await outbox.publisher.isReachable() },
        ])
        addRoutes(to: router, options: options)
        return router
    }

    /// The service's API on `router` (the monolith mounts every module's on its own).
    func addRoutes(to router: Router<ServiceContext>, options: ServiceOptions) {
        ExportTable.products(store).register(on: router, signer: signer)
        let api = router.group("/api/v1")
        api.get("/products") { request, _ in try await list(request) }
        api.get("/products/:id") { _, context in
            let id = try productID(context)
            guard let product = try await store.product(id: id) else { throw APIError.notFound("product \(id)") }
            return try JSON.response(product)
        }
        api.post("/products") { request, context in try await create(request, context) }
        api.put("/products/:id") { request, context in try await update(request, context) }
        api.post("/products/:id/inventory") { request, context in try await changeStock(request, context) }
        api.get("/categories") { _, _ in
            let all = try await store.categories()
            func children(of parent: Int?) -> [CategoryNode] {
                all.filter { $0.parentId == parent }.map { CategoryNode(id: $0.id, name: $0.name, slug: $0.slug, parentId: $0.parentId, children: children(of: $0.id)) }
            }
            return try JSON.response(["categories": children(of: nil)])
        }
        api.post("/inventory/reservations") { request, context in try await reserve(request, context) }
        api.delete("/inventory/reservations/:orderId") { request, context in
            _ = try signer.claims(request.header("Authorization"), requiring: Role.internalCallers)
            let orderID = try context.parameters.require("orderId")
            try Validate.text(orderID, "order_id", max: 64)
            let eventID = DomainEvent.newID()
            let correlation = context.correlationID
            guard let reservation = try await store.release(orderID: orderID, events: { released in
                [DomainEvent(id: eventID, type: "inventory.released", aggregateID: orderID, correlationID: correlation,
                             payload: ["order_id": .string(orderID), "items": Self.items(released.items)])]
            }) else {
                return try JSON.response(["order_id": orderID, "status": "none"])
            }
            await outbox.publish(eventIDs: [eventID])
            return try JSON.response(reservation)
        }
        if options.providerStates { providerStates().register(on: router, recorder: outbox.publisher.recorder, signer: signer) }
    }

    /// The states the contracts with the catalog name.
    func providerStates() -> ProviderStates {
        var states = ProviderStates()
        states.on("(?:product (\\d+) exists(?: with stock (\\d+))?|a product exists)") { captures, params in
            let id = params["id"]?.intValue ?? captures.first.flatMap { Int($0) } ?? 1
            guard try await store.product(id: id) != nil else {
                throw APIError.invalid("product \(id) does not exist: the catalog assigns ids, seed at least \(id) products")
            }
            let stock = params["stock"]?.intValue ?? (captures.count > 1 ? Int(captures[1]) : nil) ?? 10
            let product = try await store.setStock(productID: id, to: stock, adjustBy: nil) { _ in [] }
            return ["id": .int(product.id), "stock_quantity": .int(product.stockQuantity), "price": .decimal(product.price), "name": .string(product.name)]
        }
        states.on("products exist|categories exist") { _, _ in [:] }
        states.on("(?:a reservation exists for order (\\S+)|stock is reserved for an order)") { captures, params in
            let orderID = params["order_id"]?.stringValue ?? captures.first ?? UUID().uuidString.lowercased()
            let productID = params["product_id"]?.intValue ?? 1
            _ = try await store.setStock(productID: productID, to: 100, adjustBy: nil) { _ in [] }
            _ = try await store.reserve(orderID: orderID, items: [ReservationItem(productId: productID, quantity: 1)], events: [])
            return ["order_id": .string(orderID)]
        }
        return states
    }

    private func productID(_ context: ServiceContext) throws -> Int {
        let text = try context.parameters.require("id")
        guard let id = Int(text), (1...InputLimits.maxID).contains(id) else { throw APIError.notFound("product \(text.prefix(64))") }
        return id
    }

    private func requireAdmin(_ request: Request) throws {
        guard try signer.claims(request.header("Authorization")).role == "admin" else { throw APIError.forbidden }
    }

    func list(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        var query = ProductQuery()
        if let page = parameters["page"] {
            guard let n = Int(page), (1...InputLimits.maxPage).contains(n) else { throw APIError.invalid("'page' must be between 1 and \(InputLimits.maxPage)") }
            query.page = n
        }
        if let perPage = parameters["per_page"] {
            guard let n = Int(perPage), (1...100).contains(n) else { throw APIError.invalid("'per_page' must be between 1 and 100") }
            query.perPage = n
        }
        if let category = parameters["category"].map(String.init) {
            try Validate.text(category, "category", max: 100)
            let all = try await store.categories()
            guard let root = all.first(where: { String($0.id) == category || $0.slug == category }) else {
                throw APIError.invalid("unknown category '\(category)'")
            }
            var ids = [root.id], frontier = [root.id]
            while !frontier.isEmpty {
                let next = all.filter { $0.parentId.map(frontier.contains) ?? false }.map(\.id)
                ids += next
                frontier = next
            }
            query.categoryIDs = ids
        }
        query.search = try parameters["q"].map { try Validate.text(String($0), "q", max: 200, required: false) }
        let (products, total) = try await store.products(query)
        return try JSON.response(Page(products: products, page: query.page, perPage: query.perPage, total: total,
                                      totalPages: (total + query.perPage - 1) / query.perPage))
    }

    func create(_ request: Request, _ context: ServiceContext) async throws -> Response {
        try requireAdmin(request)
        let input = try await request.decodeJSON(ProductInput.self)
        guard let sku = input.sku else { throw APIError.invalid("missing field 'sku'") }
        guard let name = input.name else { throw APIError.invalid("missing field 'name'") }
        guard let price = input.price else { throw APIError.invalid("missing field 'price'") }
        try validate(input)
        let stock = input.stockQuantity ?? 0
        try await requireCategory(input.categoryId)
        let product: Product
        let eventID = DomainEvent.newID()
        let correlation = context.correlationID
        do {
            product = try await store.insert(NewProduct(sku: sku, name: name, description: input.description ?? "", price: price,
                                                        categoryId: input.categoryId, stockQuantity: stock, images: input.images ?? [])) {
                [Self.productEvent(eventID, "product.created", $0, correlation: correlation)]
            }
        } catch StoreError.duplicate {
            throw APIError.conflict("sku_taken", "a product with SKU \(sku) already exists")
        }
        await outbox.publish(eventIDs: [eventID])
        return try JSON.response(product, status: .created)
    }

    func update(_ request: Request, _ context: ServiceContext) async throws -> Response {
        try requireAdmin(request)
        let id = try productID(context)
        guard var product = try await store.product(id: id) else { throw APIError.notFound("product \(id)") }
        let input = try await request.decodeJSON(ProductInput.self)
        if input.stockQuantity != nil { throw APIError.invalid("change 'stock_quantity' through POST /api/v1/products/\(id)/inventory") }
        try validate(input)
        try await requireCategory(input.categoryId)
        if let sku = input.sku { product.sku = sku }
        if let name = input.name { product.name = name }
        if let description = input.description { product.description = description }
        if let price = input.price { product.price = price }
        if let category = input.categoryId { product.categoryId = category }
        if let images = input.images { product.images = images }
        if let active = input.active { product.active = active }
        product.updatedAt = Date()
        let event = Self.productEvent(DomainEvent.newID(), "product.updated", product, correlation: context.correlationID)
        do { try await store.update(product, events: [event]) } catch StoreError.duplicate {
            throw APIError.conflict("sku_taken", "a product with SKU \(product.sku) already exists")
        }
        await outbox.publish([event])
        return try JSON.response(product)
    }

    func changeStock(_ request: Request, _ context: ServiceContext) async throws -> Response {
        try requireAdmin(request)
        let id = try productID(context)
        let input = try await request.decodeJSON(StockChange.self)
        guard (input.stockQuantity == nil) != (input.adjustment == nil) else {
            throw APIError.invalid("give either 'stock_quantity' (set) or 'adjustment' (add or remove)")
        }
        if let stock = input.stockQuantity { try Validate.integer(stock, "stock_quantity", in: 0...InputLimits.maxStock) }
        if let adjustment = input.adjustment { try Validate.integer(adjustment, "adjustment", in: -InputLimits.maxStock...InputLimits.maxStock) }
        do {
            let eventID = DomainEvent.newID()
            let correlation = context.correlationID
            let product = try await store.setStock(productID: id, to: input.stockQuantity, adjustBy: input.adjustment) {
                [Self.productEvent(eventID, "product.updated", $0, correlation: correlation)]
            }
            await outbox.publish(eventIDs: [eventID])
            return try JSON.response(product)
        } catch StoreError.notFound {
            throw APIError.notFound("product \(id)")
        } catch StoreError.conflict(let reason) {
            throw APIError.conflict("insufficient_stock", reason)
        }
    }

    func reserve(_ request: Request, _ context: ServiceContext) async throws -> Response {
        _ = try signer.claims(request.header("Authorization"), requiring: Role.internalCallers)
        let input = try await request.decodeJSON(ReservationRequest.self)
        try Validate.text(input.orderId, "order_id", max: 64)
        guard !input.items.isEmpty else { throw APIError.invalid("'items' must not be empty") }
        guard input.items.count <= InputLimits.maxOrderLines else { throw APIError.invalid("'items' must have at most \(InputLimits.maxOrderLines) lines") }
        for (n, item) in input.items.enumerated() {
            try Validate.integer(item.productId, "items[\(n)].product_id", in: 1...InputLimits.maxID)
            try Validate.integer(item.quantity, "items[\(n)].quantity", in: 1...InputLimits.maxQuantity)
        }
        let event = DomainEvent(type: "inventory.reserved", aggregateID: input.orderId, correlationID: context.correlationID,
                                payload: ["order_id": .string(input.orderId), "items": Self.items(input.items)])
        switch try await store.reserve(orderID: input.orderId, items: input.items, events: [event]) {
        case .reserved(let reservation):
            await outbox.publish([event])
            return try JSON.response(reservation, status: .created)
        case .outOfStock(let products):
            throw APIError(.conflict, "out_of_stock", "not enough stock for product(s) \(products.map(String.init).joined(separator: ", "))",
                           details: ["product_ids": .array(products.map { .int($0) })])
        case .unknownProducts(let products):
            throw APIError(.unprocessableContent, "unknown_product", "no product(s) \(products.map(String.init).joined(separator: ", "))",
                           details: ["product_ids": .array(products.map { .int($0) })])
        }
    }

    /// The fields of a product as given (create or update): lengths, characters, price, stock.
    private func validate(_ input: ProductInput) throws {
        if let sku = input.sku { try Validate.text(sku, "sku", max: 64) }
        if let name = input.name { try Validate.text(name, "name", max: 200) }
        try Validate.text(input.description, "description", max: 5000, multiline: true)
        if let price = input.price { try Validate.money(price, "price", allowZero: true) }
        if let stock = input.stockQuantity { try Validate.integer(stock, "stock_quantity", in: 0...InputLimits.maxStock) }
        if let images = input.images {
            guard images.count <= InputLimits.maxImages else { throw APIError.invalid("'images' must have at most \(InputLimits.maxImages) entries") }
            for (n, image) in images.enumerated() { try Validate.text(image, "images[\(n)]", max: 2048) }
        }
    }

    /// A category id that exists (the same answer from every store).
    private func requireCategory(_ id: Int?) async throws {
        guard let id else { return }
        guard try await store.categories().contains(where: { $0.id == id }) else { throw APIError.invalid("unknown category \(id)") }
    }

    static func items(_ items: [ReservationItem]) -> JSONField {
        .array(items.map { .object(["product_id": .int($0.productId), "quantity": .int($0.quantity)]) })
    }

    /// `product.created` or `product.updated`, with the product as it is now.
    static func productEvent(_ id: String, _ type: String, _ product: Product, correlation: String) -> DomainEvent {
        DomainEvent(id: id, type: type, aggregateID: String(product.id), correlationID: correlation, payload: [
            "product_id": .int(product.id), "sku": .string(product.sku), "name": .string(product.name),
            "price": .decimal(product.price), "stock_quantity": .int(product.stockQuantity), "active": .bool(product.active),
        ])
    }
}
