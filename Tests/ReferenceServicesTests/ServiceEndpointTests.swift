import Foundation
import HTTPTypes
import ReferenceServices
import ServerRuntime
import Testing
import TestSupport
import TransportHTTP

@Suite struct UserAndCatalogTests {
    @Test(arguments: StoreKind.available)
    func usersRegisterLogInAndManageProfileAndAddresses(kind: StoreKind) async throws {
        try await InProcessService.users(kind) { s in
            let email = "Jane.\(UUID().uuidString.prefix(6))@Example.com"
            let registered = try await s.call(.post, "/api/v1/users/register", json: ["email": email, "password": "long-enough", "first_name": "Jane", "last_name": "Doe"])
            #expect(registered.status == 201)
            #expect(registered.json["password_hash"] == nil && registered.json["password"] == nil)
            #expect(registered.json["email"] as? String == email.lowercased())
            #expect(registered.json["role"] as? String == "customer")
            let duplicate = try await s.call(.post, "/api/v1/users/register", json: ["email": email.lowercased(), "password": "long-enough", "first_name": "J", "last_name": "D"])
            #expect(duplicate.status == 409)
            #expect(duplicate.errorCode == "email_taken")
            #expect(try await s.call(.post, "/api/v1/users/login", json: ["email": email, "password": "wrong-password"]).status == 401)
            let login = try await s.call(.post, "/api/v1/users/login", json: ["email": email, "password": "long-enough"])
            let token = try #require(login.json["token"] as? String)
            #expect(token.split(separator: ".").count == 3)
            let profile = try await s.call(.put, "/api/v1/users/profile", json: ["first_name": "Janet", "phone": "+1 555 0100"], token: token)
            #expect(profile.json["first_name"] as? String == "Janet")
            #expect(try await s.call(.get, "/api/v1/users/profile", token: token).json["phone"] as? String == "+1 555 0100")
            let address = try await s.call(.post, "/api/v1/users/addresses", json: TestStack.address, token: token)
            #expect(address.status == 201)
            #expect(address.json["is_default"] as? Bool == true)
            let list = try await s.call(.get, "/api/v1/users/addresses", token: token)
            #expect((list.json["addresses"] as? [[String: Any]])?.count == 1)
            let id = try #require(registered.json["id"] as? String)
            #expect(try await s.call(.get, "/api/v1/users/\(id)", token: s.serviceToken).json["last_name"] as? String == "Doe")
            #expect(try await s.call(.get, "/api/v1/users/\(id)", token: token).status == 403, "a customer cannot read users by id")
            #expect(try await s.call(.get, "/api/v1/users/\(UUID().uuidString.lowercased())", token: s.serviceToken).status == 404)
            let events = await s.events(for: id, until: ["user.registered"])
            #expect(events.first?.type == "user.registered")
            #expect(events.first?.payload["email"] == .string(email.lowercased()), "\(String(describing: events.first?.payload))")
        }
    }

    @Test(arguments: StoreKind.available)
    func catalogListsFiltersSearchesAndAdminsEdit(kind: StoreKind) async throws {
        try await InProcessService.catalog(kind) { s in
            let page = try await s.call(.get, "/api/v1/products?page=2&per_page=5").json
            #expect((page["products"] as? [[String: Any]])?.map { $0["id"] as? Int } == [6, 7, 8, 9, 10])
            #expect(page["total"] as? Int == 20)
            #expect(page["total_pages"] as? Int == 4)
            let tree = try #require(try await s.call(.get, "/api/v1/categories").json["categories"] as? [[String: Any]])
            let electronics = try #require(tree.first { $0["slug"] as? String == "electronics" })
            #expect((electronics["children"] as? [[String: Any]])?.count == 3)
            let inElectronics = try #require(try await s.call(.get, "/api/v1/products?category=electronics&per_page=100").json["products"] as? [[String: Any]])
            let childIDs = Set(try #require(electronics["children"] as? [[String: Any]]).compactMap { $0["id"] as? Int })
            #expect(!inElectronics.isEmpty && inElectronics.allSatisfy { ($0["category_id"] as? Int).map(childIDs.contains) == true })
            let search = try #require(try await s.call(.get, "/api/v1/products?q=deluxe&per_page=100").json["products"] as? [[String: Any]])
            #expect(!search.isEmpty && search.allSatisfy { ($0["name"] as? String)?.lowercased().contains("deluxe") == true })
            #expect(try await s.call(.get, "/api/v1/products?per_page=1000").status == 422)
            #expect(try await s.call(.get, "/api/v1/products?category=nope").status == 422)

            let new: [String: Any] = ["sku": "NEW-1", "name": "Kettle", "price": 24.99, "stock_quantity": 5, "category_id": 1]
            #expect(try await s.call(.post, "/api/v1/products", json: new, token: s.customerToken()).status == 403)
            #expect(try await s.call(.post, "/api/v1/products", json: new).status == 401)
            let admin = s.adminToken
            let created = try await s.call(.post, "/api/v1/products", json: new, token: admin)
            #expect(created.status == 201)
            #expect(decimal(created.json["price"]) == Decimal(string: "24.99"))
            let id = try #require(created.json["id"] as? Int)
            #expect(try await s.call(.post, "/api/v1/products", json: new, token: admin).status == 409)
            let updated = try await s.call(.put, "/api/v1/products/\(id)", json: ["price": 19.5, "name": "Kettle 2"], token: admin)
            #expect(updated.json["name"] as? String == "Kettle 2")
            #expect(decimal(updated.json["price"]) == Decimal(string: "19.5"))
            let adjusted = try await s.call(.post, "/api/v1/products/\(id)/inventory", json: ["adjustment": -3], token: admin)
            #expect(adjusted.json["stock_quantity"] as? Int == 2)
            let negative = try await s.call(.post, "/api/v1/products/\(id)/inventory", json: ["adjustment": -3], token: admin)
            #expect(negative.status == 409)
            #expect(try await s.stock(id) == 2)
            let events = await s.events(for: String(id), until: ["product.created", "product.updated"])
            #expect(Set(events.map(\.type)).isSuperset(of: ["product.created", "product.updated"]), "\(events.map(\.type))")
        }
    }

    @Test(arguments: StoreKind.available)
    func reservationsAreAllOrNothingAndReleaseIsIdempotent(kind: StoreKind) async throws {
        try await InProcessService.catalog(kind) { s in
            let service = s.serviceToken
            func reserve(_ order: String, _ items: [(Int, Int)]) async throws -> InProcessService.Reply {
                try await s.call(.post, "/api/v1/inventory/reservations", json: ["order_id": order, "items": items.map { ["product_id": $0.0, "quantity": $0.1] }],
                                 token: service)
            }
            try await s.setStock(12, 2)
            let a = try await s.stock(13)
            let short = try await reserve("r-1", [(13, 1), (12, 3)])
            #expect(short.status == 409)
            #expect((short.json["error"] as? [String: Any])?["product_ids"] as? [Int] == [12])
            #expect(try await s.stock(13) == a)
            #expect(try await reserve("r-2", [(13, 1), (12, 2)]).status == 201)
            #expect(try await reserve("r-2", [(13, 1), (12, 2)]).status == 201, "the same reservation again is the same answer")
            #expect(try await s.stock(12) == 0)
            #expect(try await s.call(.delete, "/api/v1/inventory/reservations/r-2", token: service).status == 200)
            #expect(try await s.call(.delete, "/api/v1/inventory/reservations/r-2", token: service).status == 200)
            #expect(try await s.stock(12) == 2)
            #expect(try await s.stock(13) == a)
            #expect(try await reserve("r-3", [(99999, 1)]).status == 422)
        }
    }
}

@Suite struct BadInputTests {
    @Test(arguments: StoreKind.available)
    func badInputIsA4xxThatSaysWhat(kind: StoreKind) async throws {
        try await TestStack.with(kind) { t in
            let (_, token) = try await t.customer("bad")
            let malformed = try await t.call("POST", "/api/v1/users/register", raw: "{\"email\": ")
            #expect(malformed.status == 400)
            #expect(malformed.errorMessage.contains("not valid JSON"))
            let notAnObject = try await t.call("POST", "/api/v1/users/login", raw: "[1, 2]")
            #expect(notAnObject.status == 422)
            #expect(notAnObject.errorMessage == "the body must be a JSON object")
            let missing = try await t.call("POST", "/api/v1/users/register", json: ["email": "x@y.zz", "password": "12345678", "first_name": "X"])
            #expect(missing.status == 422)
            #expect(missing.errorMessage.contains("last_name"))
            #expect(try await t.call("POST", "/api/v1/users/register", json: ["email": "nope", "password": "12345678", "first_name": "X", "last_name": "Y"]).status == 422)
            #expect(try await t.call("POST", "/api/v1/users/register", json: ["email": "a@b.cc", "password": "short", "first_name": "X", "last_name": "Y"]).status == 422)

            let negative = try await t.order(token, items: [(1, -2)])
            #expect(negative.status == 422)
            #expect(negative.errorMessage.contains("quantity"))
            let unknown = try await t.order(token, items: [(424242, 1)])
            #expect(unknown.status == 422)
            #expect(unknown.errorCode == "unknown_product")
            let wrongType = try await t.call("POST", "/api/v1/orders", json: ["items": [["product_id": "one", "quantity": 1]], "shipping_address": TestStack.address, "payment_method": "pm_card_visa"], token: token)
            #expect(wrongType.status == 422)
            #expect(wrongType.errorMessage.contains("items[0].product_id"))
            let noAddress = try await t.call("POST", "/api/v1/orders", json: ["items": [["product_id": 1, "quantity": 1]], "payment_method": "pm_card_visa"], token: token)
            #expect(noAddress.status == 422)
            #expect(noAddress.errorMessage.contains("shipping_address"))

            // Tokens: none, forged, expired.
            #expect(try await t.order("", items: [(1, 1)]).status == 401)
            let parts = token.split(separator: ".")
            let forged = "\(parts[0]).\(parts[1]).\(String(parts[2].reversed()))"
            let forgedReply = try await t.call("GET", "/api/v1/users/profile", token: forged)
            #expect(forgedReply.status == 401)
            #expect(forgedReply.errorCode == "invalid_token")
            let expired = JWTSigner(secret: t.stack.configuration.jwtSecret).sign(TokenClaims(sub: "x", email: "x@y.z", role: "admin", iat: 1, exp: 2))
            let expiredReply = try await t.call("GET", "/api/v1/orders/user/x", token: expired)
            #expect(expiredReply.status == 401)
            #expect(expiredReply.errorCode == "token_expired")
            let otherSecret = JWTSigner(secret: "not-the-secret").sign(TokenClaims(sub: "x", email: "x@y.z", role: "admin", iat: 1, exp: Int(Date().timeIntervalSince1970) + 60))
            #expect(try await t.call("POST", "/api/v1/products", json: ["sku": "a", "name": "b", "price": 1], token: otherSecret).status == 401)

            let notFound = try await t.call("GET", "/api/v1/products/abc")
            #expect(notFound.status == 404)
            #expect(notFound.errorCode == "not_found")
            #expect(try await t.call("GET", "/api/v1/orders/\(UUID().uuidString.lowercased())", token: token).status == 404)
            #expect(try await t.call("GET", "/api/v1/nothing-here").status == 404)
        }
    }
}

@Suite struct OperationsTests {
    /// The migration guide's metrics (§13.1, §8): orders created and how long it took, charges
    /// by outcome, and where the gateway sent each request, as Prometheus scrapes them.
    @Test func theGuidesMetricsCountOrdersChargesAndWhereTheGatewaySentEachRequest() async throws {
        try await TestStack.with(.memory) { t in
            let (_, token) = try await t.customer("metrics")
            #expect(try await t.order(token, items: [(1, 1)], key: "m-1").status == 201)
            #expect(try await t.order(token, items: [(2, 1)], paymentMethod: "pm_card_chargeDeclined", key: "m-2").status == 402)
            let orders = String(decoding: try await t.call("GET", "/metrics", base: t.url("order-service")).body, as: UTF8.self)
            #expect(orders.contains(#"orders_created_total{service="order-service",status="success"} 1"#), "\(orders)")
            #expect(orders.contains(#"orders_created_total{service="order-service",status="error"} 1"#))
            for bound in ["0.1", "0.5", "1.0", "2.0", "5.0", "+Inf"] {
                #expect(orders.contains(#"order_creation_duration_seconds_bucket{service="order-service",le="\#(bound)"}"#), "bucket \(bound)")
            }
            #expect(orders.contains(#"order_creation_duration_seconds_count{service="order-service"} 2"#))
            let payments = String(decoding: try await t.call("GET", "/metrics", base: t.url("payment-service")).body, as: UTF8.self)
            #expect(payments.contains(#"payments_total{service="payment-service",outcome="completed"} 1"#), "\(payments)")
            #expect(payments.contains(#"payments_total{service="payment-service",outcome="declined"} 1"#))

            #expect(try await t.call("PUT", "/admin/rollout", json: ["percent": 0], token: t.stack.adminToken).status == 200)
            _ = try await t.call("GET", "/api/v1/products/1")
            let gateway = String(decoding: try await t.call("GET", "/metrics").body, as: UTF8.self)
            #expect(gateway.contains(#"gateway_requests_total{service="api-gateway",prefix="/api/v1/orders",target_service="order-service"} 2"#), "\(gateway)")
            #expect(gateway.contains(#"gateway_requests_total{service="api-gateway",prefix="/api/v1/products",target_service="monolith"} 1"#))
        }
    }

    @Test func everyServiceAnswersHealthReadyAndMetrics() async throws {
        try await TestStack.with(.memory) { t in
            _ = try await t.call("GET", "/api/v1/products/1")
            for service in t.stack.services {
                #expect(try await t.call("GET", "/health", base: service.url).status == 200, "\(service.name)")
                let ready = try await t.call("GET", "/ready", base: service.url)
                #expect(ready.status == 200, "\(service.name): \(String(decoding: ready.body, as: UTF8.self))")
                let metrics = try await t.call("GET", "/metrics", base: service.url)
                #expect(metrics.status == 200)
                #expect(metrics.header("Content-Type")?.hasPrefix("text/plain") == true)
            }
            let catalogMetrics = String(decoding: try await t.call("GET", "/metrics", base: t.url("catalog-service")).body, as: UTF8.self)
            #expect(catalogMetrics.contains(#"http_requests_total{service="catalog-service",method="GET",route="/api/v1/products/{id}",status="200"}"#))
            #expect(catalogMetrics.contains("http_request_duration_seconds_bucket"))
        }
    }

    @Test func readyReportsAnUnreachableBroker() async throws {
        // A catalog pointed at a Kafka that is not there: alive, but not ready.
        var options = SingleServiceOptions(name: "catalog")
        options.port = 0
        options.seedProducts = 1
        options.kafkaBrokers = "127.0.0.1:1"
        // The relay's "broker unavailable" warnings go with the test, not to the terminal.
        let log = ServiceLog()
        options.log = LogDestination(log.append)
        try await log.keep { try await readyReportsAnUnreachableBroker(options) }
    }

    func readyReportsAnUnreachableBroker(_ options: SingleServiceOptions) async throws {
        let started = try await SingleService.start(options)
        let client = HTTPClientPool()
        #expect(try await client.send(HTTPClientRequest(url: started.service.url + "/health")).status == 200)
        let ready = try await client.send(HTTPClientRequest(url: started.service.url + "/ready", timeout: 10))
        #expect(ready.status == 503)
        #expect(ready.bodyText.contains(#""kafka":"down""#))
        // Without a broker, requests that publish still answer, after a bounded wait for the ack.
        let began = Date()
        let serviceToken = JWTSigner(secret: options.jwtSecret).serviceToken(for: "order-service")
        let reservation = try await client.send(HTTPClientRequest(method: "POST", url: started.service.url + "/api/v1/inventory/reservations",
                                                                  headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(serviceToken)")],
                                                                  body: Array(#"{"order_id": "o-no-kafka", "items": [{"product_id": 1, "quantity": 1}]}"#.utf8), timeout: 20))
        #expect(reservation.status == 201)
        // The wait for the broker's ack is 2 s; a busy CI machine adds a few.
        #expect(Date().timeIntervalSince(began) < 15)
        await started.stop()
    }

    @Test func gatewayRollsOutStickyPerUser() async throws {
        var legacyOptions = SingleServiceOptions(name: "payment-provider")
        legacyOptions.port = 0
        let log = ServiceLog()
        legacyOptions.log = LogDestination(log.append)
        try await log.keep { try await gatewayRollsOutStickyPerUser(legacyOptions) }
    }

    func gatewayRollsOutStickyPerUser(_ legacyOptions: SingleServiceOptions) async throws {
        let legacy = try await SingleService.start(legacyOptions)
        // The test client is the proxy here: its X-Forwarded-For stands for the users' addresses.
        try await TestStack.with(.memory, configure: { $0.legacyURL = legacy.service.url; $0.rolloutPercent = 0; $0.trustedProxies = TrustedProxies(parsing: "127.0.0.1, ::1")! }) { t in
            func side(_ address: String, token: String? = nil) async throws -> String? {
                try await t.call("GET", "/api/v1/products/1", token: token, headers: [("X-Forwarded-For", address)]).header("X-Routed-To")
            }
            #expect(try await side("10.0.0.1") == "legacy")
            // Register while everything goes to the new services (the legacy side has no user service).
            _ = try await t.call("PUT", "/admin/rollout", json: ["percent": 100], token: t.stack.adminToken)
            let (_, token) = try await t.customer("sticky")
            let set = try await t.call("PUT", "/admin/rollout", json: ["percent": 50], token: t.stack.adminToken)
            #expect(set.json["percent"] as? Int == 50)
            #expect(try await t.call("GET", "/admin/rollout").json["percent"] as? Int == 50)
            var toServices = 0
            for i in 0..<200 {
                let first = try await side("10.1.\(i / 250).\(i % 250)")
                #expect(try await side("10.1.\(i / 250).\(i % 250)") == first, "sticky per client address")
                if first == "services" { toServices += 1 }
            }
            #expect((70...130).contains(toServices), "about half of 200 users, got \(toServices)")
            let bySubject = try await side("10.9.9.9", token: token)
            for i in 0..<5 { #expect(try await side("10.8.8.\(i)", token: token) == bySubject, "sticky per JWT subject, whatever the address") }
            _ = try await t.call("PUT", "/admin/rollout", json: ["percent": 100], token: t.stack.adminToken)
            #expect(try await side("10.0.0.1") == "services")
            #expect(try await t.call("PUT", "/admin/rollout", json: ["percent": 150], token: t.stack.adminToken).status == 422)
        }
        await legacy.stop()
    }

    @Test func gatewayPropagatesCorrelationIDs() async throws {
        try await TestStack.with(.memory) { t in
            let given = try await t.call("GET", "/api/v1/products/1", headers: [("X-Correlation-ID", "trace-123")])
            #expect(given.header("X-Correlation-ID") == "trace-123")
            let made = try await t.call("GET", "/api/v1/products/1")
            #expect(made.header("X-Correlation-ID")?.count == 36)
            #expect(made.header("X-Routed-To") == "services")
        }
    }
}

@Suite struct EmbeddedBrokerPortTests {
    @Test func aFixedKafkaPortForwardsToTheEmbeddedBroker() async throws {
        let port = freePort()
        try await TestStack.with(.memory, configure: { $0.kafkaPort = port }) { t in
            #expect(t.stack.kafkaBootstrap == "127.0.0.1:\(port)")
            let (userID, _) = try await t.customer("port")
            // The consumer bootstraps through the fixed port, then follows the broker's metadata.
            let events = try await t.events(for: userID, until: ["user.registered"])
            #expect(events.map(\.type) == ["user.registered"])
        }
    }
}
