package import Foundation
import HTTPTypes
package import Hummingbird
import Logging

/// The user service: registration, login (JWT), profile and addresses.
package struct UserService: Sendable {
    let store: any UserStore
    /// Publishes the events the store commits with each change.
    let outbox: OutboxRelay
    let signer: JWTSigner
    /// How long issued tokens live.
    let tokenLifetime: TimeInterval

    package init(store: any UserStore, outbox: OutboxRelay, signer: JWTSigner, tokenLifetime: TimeInterval = 3600) {
        self.store = store
        self.outbox = outbox
        self.signer = signer
        self.tokenLifetime = tokenLifetime
    }

    struct Registration: Decodable { let email: String; let password: String; let firstName: String; let lastName: String }
    struct Login: Decodable { let email: String; let password: String }
    struct ProfileChange: Decodable { let firstName: String?; let lastName: String?; let phone: String? }
    struct NewAddress: Decodable { let street: String; let city: String; let state: String; let zipCode: String; let country: String; let isDefault: Bool? }
    struct LoginResult: Encodable { let token: String; let tokenType = "Bearer"; let expiresAt: Date; let user: PublicUser }

    package func router(metrics: MetricsRegistry, options: ServiceOptions = ServiceOptions()) -> Router<ServiceContext> {
        let router = makeServiceRouter(name: "user-service", metrics: metrics, options: options, readiness: [
            "database": { await store.isReachable() }, "kafka": { await outbox.publisher.isReachable() },
        ])
        addRoutes(to: router, options: options)
        return router
    }

    /// The service's API on `router` (the monolith mounts every module's on its own).
    func addRoutes(to router: Router<ServiceContext>, options: ServiceOptions) {
        let users = router.group("/api/v1/users")
        users.post("/register") { request, context in try await register(request, context) }
        users.post("/login") { request, _ in try await login(request) }
        users.get("/profile") { request, _ in
            try JSON.response(try await currentUser(request).publicView)
        }
        users.put("/profile") { request, _ in try await updateProfile(request) }
        users.get("/addresses") { request, _ in
            let user = try await currentUser(request)
            return try JSON.response(["addresses": try await store.addresses(userID: user.id)])
        }
        users.post("/addresses") { request, _ in try await addAddress(request) }
        ExportTable.users(store).register(on: router, signer: signer)
        users.get("/:id") { request, context in
            _ = try signer.claims(request.header("Authorization"), requiring: Role.internalCallers)
            let id = try context.parameters.require("id")
            guard let user = try await store.user(id: id) else { throw APIError.notFound("user \(id)") }
            return try JSON.response(user.publicView)
        }
        if options.providerStates { providerStates().register(on: router, recorder: outbox.publisher.recorder, signer: signer) }
    }

    /// The states the contracts with the user service name.
    func providerStates() -> ProviderStates {
        var states = ProviderStates()
        states.on("(?:a user exists|user ([0-9a-f-]{36}) exists|a user with email (\\S+@\\S+) exists)") { captures, params in
            let id = params["id"]?.stringValue ?? captures.first { UUID(uuidString: $0) != nil }
            let email = params["email"]?.stringValue ?? captures.first { $0.contains("@") } ?? "user-\(UUID().uuidString.prefix(8).lowercased())@example.com"
            let password = params["password"]?.stringValue ?? "password123"
            var user: User?
            if let id { user = try await store.user(id: id) }
            if user == nil { user = try await store.user(email: email) }
            if user == nil {
                user = try await createUser(id: id, email: email, password: password, firstName: params["first_name"]?.stringValue ?? "Alice",
                                            lastName: params["last_name"]?.stringValue ?? "Smith", role: "customer")
            }
            let now = Date()
            let token = signer.sign(TokenClaims(sub: user!.id, email: user!.email, role: user!.role, iat: Int(now.timeIntervalSince1970), exp: Int(now.timeIntervalSince1970) + 3600))
            return ["id": .string(user!.id), "email": .string(user!.email), "password": .string(password), "token": .string(token)]
        }
        states.on("(?:no user with email \\S+ exists|a new customer)") { _, _ in
            ["email": .string("customer-\(UUID().uuidString.prefix(8).lowercased())@example.com")]
        }
        states.on("a customer registers") { _, _ in
            let user = try await createUser(email: "customer-\(UUID().uuidString.prefix(8).lowercased())@example.com", password: "password123",
                                            firstName: "Alice", lastName: "Smith", role: "customer", announcedWith: UUID().uuidString.lowercased())
            return ["key": .string(user.id), "id": .string(user.id)]
        }
        return states
    }

    /// The `user.registered` event of a new user.
    func registered(_ user: User, correlation: String) -> DomainEvent {
        DomainEvent(type: "user.registered", aggregateID: user.id, correlationID: correlation, payload: [
            "user_id": .string(user.id), "email": .string(user.email), "first_name": .string(user.firstName),
            "last_name": .string(user.lastName), "registered_at": .string(JSON.timestamp(user.createdAt)),
        ])
    }

    /// Creates a user directly (seeding an admin, tests); with a correlation id, it is announced
    /// with `user.registered` as a registration is.
    package func createUser(id: String? = nil, email: String, password: String, firstName: String, lastName: String, role: String,
                           announcedWith correlation: String? = nil) async throws -> User {
        let now = Date()
        let user = User(id: id?.lowercased() ?? UUID().uuidString.lowercased(), email: email.lowercased(), passwordHash: await PasswordHasher.hashOffPool(password),
                        firstName: firstName, lastName: lastName, phone: nil, role: role, createdAt: now, updatedAt: now)
        let events = correlation.map { [registered(user, correlation: $0)] } ?? []
        try await store.insert(user, events: events)
        await outbox.publish(events)
        return user
    }

    func register(_ request: Request, _ context: ServiceContext) async throws -> Response {
        let input = try await request.decodeJSON(Registration.self)
        let email = try Self.validEmail(input.email)
        try Validate.text(input.password, "password", max: Self.maxPassword)
        guard input.password.count >= 8 else { throw APIError.invalid("'password' must have at least 8 characters") }
        try Validate.text(input.firstName, "first_name", max: Self.maxName)
        try Validate.text(input.lastName, "last_name", max: Self.maxName)
        let user: User
        do {
            user = try await createUser(email: email, password: input.password, firstName: input.firstName, lastName: input.lastName, role: "customer",
                                        announcedWith: context.correlationID)
        } catch StoreError.duplicate {
            throw APIError.conflict("email_taken", "a user with email \(email.lowercased()) already exists")
        }
        return try JSON.response(user.publicView, status: .created)
    }

    static let maxEmail = 254, maxPassword = 1024, maxName = 100, maxPhone = 32

    /// An email address as users are registered by: trimmed, one `@`, a dotted domain.
    static func validEmail(_ text: String) throws -> String {
        let email = try Validate.text(text, "email", max: maxEmail).trimmingCharacters(in: .whitespaces)
        guard email.range(of: #"^[^@\s]+@[^@\s]+\.[^@\s]+$"#, options: .regularExpression) != nil else {
            throw APIError.invalid("'email' is not a valid email address")
        }
        return email
    }

    func login(_ request: Request) async throws -> Response {
        let input = try await request.decodeJSON(Login.self)
        try Validate.text(input.email, "email", max: Self.maxEmail)
        try Validate.text(input.password, "password", max: Self.maxPassword)
        guard let user = try await store.user(email: input.email.trimmingCharacters(in: .whitespaces)),
              await PasswordHasher.verifyOffPool(input.password, against: user.passwordHash) else {
            throw APIError(.unauthorized, "invalid_credentials", "email or password is wrong")
        }
        let now = Date()
        let expires = now.addingTimeInterval(tokenLifetime)
        let token = signer.sign(TokenClaims(sub: user.id, email: user.email, role: user.role, iat: Int(now.timeIntervalSince1970), exp: Int(expires.timeIntervalSince1970)))
        try await store.recordSession(userID: user.id, tokenID: String(token.suffix(16)), expiresAt: expires)
        return try JSON.response(LoginResult(token: token, expiresAt: expires, user: user.publicView))
    }

    func currentUser(_ request: Request) async throws -> User {
        let claims = try signer.claims(request.header("Authorization"))
        guard let user = try await store.user(id: claims.sub) else { throw APIError(.unauthorized, "unknown_user", "the token's user no longer exists") }
        return user
    }

    func updateProfile(_ request: Request) async throws -> Response {
        var user = try await currentUser(request)
        let change = try await request.decodeJSON(ProfileChange.self)
        if let first = change.firstName { user.firstName = try Validate.text(first, "first_name", max: Self.maxName) }
        if let last = change.lastName { user.lastName = try Validate.text(last, "last_name", max: Self.maxName) }
        if let phone = change.phone { user.phone = try Validate.text(phone, "phone", max: Self.maxPhone, required: false) }
        user.updatedAt = Date()
        try await store.update(user)
        return try JSON.response(user.publicView)
    }

    func addAddress(_ request: Request) async throws -> Response {
        let user = try await currentUser(request)
        let input = try await request.decodeJSON(NewAddress.self)
        try ShippingAddress(street: input.street, city: input.city, state: input.state, zipCode: input.zipCode, country: input.country).validate(prefix: "")
        let existing = try await store.addresses(userID: user.id)
        let address = Address(id: UUID().uuidString.lowercased(), userId: user.id, street: input.street, city: input.city, state: input.state,
                              zipCode: input.zipCode, country: input.country, isDefault: input.isDefault ?? existing.isEmpty, createdAt: Date())
        try await store.insert(address)
        return try JSON.response(address, status: .created)
    }
}
