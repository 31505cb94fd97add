import Foundation
import HTTPTypes
import Hummingbird

/// The user service: registration, login (JWT), profile and addresses.
public struct UserService: Sendable {
    let store: any UserStore
    let events: any EventPublisher
    let signer: JWTSigner
    /// How long issued tokens live.
    let tokenLifetime: TimeInterval

    public init(store: any UserStore, events: any EventPublisher, signer: JWTSigner, tokenLifetime: TimeInterval = 3600) {
        self.store = store
        self.events = events
        self.signer = signer
        self.tokenLifetime = tokenLifetime
    }

    struct Registration: Decodable { let email: String; let password: String; let firstName: String; let lastName: String }
    struct Login: Decodable { let email: String; let password: String }
    struct ProfileChange: Decodable { let firstName: String?; let lastName: String?; let phone: String? }
    struct NewAddress: Decodable { let street: String; let city: String; let state: String; let zipCode: String; let country: String; let isDefault: Bool? }
    struct LoginResult: Encodable { let token: String; let tokenType = "Bearer"; let expiresAt: Date; let user: PublicUser }

    public func router(metrics: MetricsRegistry) -> Router<ServiceContext> {
        let router = makeServiceRouter(name: "user-service", metrics: metrics, readiness: [
            "database": { await store.isReachable() }, "kafka": { await events.isReachable() },
        ])
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
        users.get("/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let user = try await store.user(id: id) else { throw APIError.notFound("user \(id)") }
            return try JSON.response(user.publicView)
        }
        return router
    }

    /// Creates a user directly (seeding an admin, tests).
    public func createUser(email: String, password: String, firstName: String, lastName: String, role: String) async throws -> User {
        let now = Date()
        let user = User(id: UUID().uuidString.lowercased(), email: email.lowercased(), passwordHash: PasswordHasher.hash(password),
                        firstName: firstName, lastName: lastName, phone: nil, role: role, createdAt: now, updatedAt: now)
        try await store.insert(user)
        return user
    }

    func register(_ request: Request, _ context: ServiceContext) async throws -> Response {
        let input = try await request.decodeJSON(Registration.self)
        let email = input.email.trimmingCharacters(in: .whitespaces)
        guard email.range(of: #"^[^@\s]+@[^@\s]+\.[^@\s]+$"#, options: .regularExpression) != nil else {
            throw APIError.invalid("'email' is not a valid email address")
        }
        guard input.password.count >= 8 else { throw APIError.invalid("'password' must have at least 8 characters") }
        guard !input.firstName.trimmingCharacters(in: .whitespaces).isEmpty, !input.lastName.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIError.invalid("'first_name' and 'last_name' must not be empty")
        }
        let user: User
        do {
            user = try await createUser(email: email, password: input.password, firstName: input.firstName, lastName: input.lastName, role: "customer")
        } catch StoreError.duplicate {
            throw APIError.conflict("email_taken", "a user with email \(email.lowercased()) already exists")
        }
        await events.emit("user.registered", aggregate: user.id, correlation: context.correlationID, [
            "user_id": .string(user.id), "email": .string(user.email), "first_name": .string(user.firstName),
            "last_name": .string(user.lastName), "registered_at": .string(JSON.isoFormatter.string(from: user.createdAt)),
        ], logger: context.logger)
        return try JSON.response(user.publicView, status: .created)
    }

    func login(_ request: Request) async throws -> Response {
        let input = try await request.decodeJSON(Login.self)
        guard let user = try await store.user(email: input.email.trimmingCharacters(in: .whitespaces)),
              PasswordHasher.verify(input.password, against: user.passwordHash) else {
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
        if let first = change.firstName {
            guard !first.trimmingCharacters(in: .whitespaces).isEmpty else { throw APIError.invalid("'first_name' must not be empty") }
            user.firstName = first
        }
        if let last = change.lastName {
            guard !last.trimmingCharacters(in: .whitespaces).isEmpty else { throw APIError.invalid("'last_name' must not be empty") }
            user.lastName = last
        }
        if let phone = change.phone { user.phone = phone }
        user.updatedAt = Date()
        try await store.update(user)
        return try JSON.response(user.publicView)
    }

    func addAddress(_ request: Request) async throws -> Response {
        let user = try await currentUser(request)
        let input = try await request.decodeJSON(NewAddress.self)
        for (field, value) in [("street", input.street), ("city", input.city), ("state", input.state), ("zip_code", input.zipCode), ("country", input.country)]
        where value.trimmingCharacters(in: .whitespaces).isEmpty {
            throw APIError.invalid("'\(field)' must not be empty")
        }
        let existing = try await store.addresses(userID: user.id)
        let address = Address(id: UUID().uuidString.lowercased(), userId: user.id, street: input.street, city: input.city, state: input.state,
                              zipCode: input.zipCode, country: input.country, isDefault: input.isDefault ?? existing.isEmpty, createdAt: Date())
        try await store.insert(address)
        return try JSON.response(address, status: .created)
    }
}
