package import Foundation

/// A stored user (the password only as a PBKDF2 hash).
package struct User: Codable, Sendable, Equatable {
    package var id: String
    package var email: String
    package var passwordHash: String
    package var firstName: String
    package var lastName: String
    package var phone: String?
    package var role: String
    package var createdAt: Date
    package var updatedAt: Date

    /// What the API shows: everything but the password hash.
    var publicView: PublicUser {
        PublicUser(id: id, email: email, firstName: firstName, lastName: lastName, phone: phone, role: role, createdAt: createdAt, updatedAt: updatedAt)
    }
}

struct PublicUser: Codable, Sendable {
    let id: String, email: String, firstName: String, lastName: String
    let phone: String?
    let role: String
    let createdAt: Date, updatedAt: Date
}

/// A shipping address of a user.
package struct Address: Codable, Sendable, Equatable {
    package var id: String
    package var userId: String
    package var street: String
    package var city: String
    package var state: String
    package var zipCode: String
    package var country: String
    package var isDefault: Bool
    package var createdAt: Date
}

/// The users database: `users`, `addresses`, `sessions`.
package protocol UserStore: OutboxStore {
    /// Throws `StoreError.duplicate` when the email is taken; `events` are committed with the user.
    func insert(_ user: User, events: [DomainEvent]) async throws
    func user(id: String) async throws -> User?
    func user(email: String) async throws -> User?
    func update(_ user: User) async throws
    func addresses(userID: String) async throws -> [Address]
    func insert(_ address: Address) async throws
    /// Records a login (the `sessions` table): the token id and when it expires.
    func recordSession(userID: String, tokenID: String, expiresAt: Date) async throws
    /// Up to `limit` users whose id sorts after `id` (byte order), in that order: the export.
    func users(after id: String?, limit: Int) async throws -> [User]
    func isReachable() async -> Bool
}

/// The default user store: in memory, gone when the process ends.
package actor InMemoryUserStore: UserStore, InMemoryOutboxStore {
    var outbox = InMemoryOutbox()
    private var users: [String: User] = [:]
    private var byEmail: [String: String] = [:]
    private var addressesByUser: [String: [Address]] = [:]
    private var sessions: [(userID: String, tokenID: String, expiresAt: Date)] = []

    package init() {}

    package func insert(_ user: User, events: [DomainEvent]) throws {
        guard byEmail[user.email.lowercased()] == nil else { throw StoreError.duplicate("email") }
        users[user.id] = user
        byEmail[user.email.lowercased()] = user.id
        outbox.append(events)
    }

    package func user(id: String) -> User? { users[id] }
    package func user(email: String) -> User? { byEmail[email.lowercased()].flatMap { users[$0] } }

    package func update(_ user: User) throws {
        guard users[user.id] != nil else { throw StoreError.notFound("user") }
        users[user.id] = user
    }

    package func addresses(userID: String) -> [Address] { addressesByUser[userID] ?? [] }

    package func insert(_ address: Address) {
        if address.isDefault {
            addressesByUser[address.userId] = addressesByUser[address.userId]?.map { var a = $0; a.isDefault = false; return a }
        }
        addressesByUser[address.userId, default: []].append(address)
    }

    package func recordSession(userID: String, tokenID: String, expiresAt: Date) {
        sessions.append((userID, tokenID, expiresAt))
    }

    package func users(after id: String?, limit: Int) -> [User] {
        KeysetPage.page(users.values, after: id, limit: limit) { $0.id }
    }

    package func isReachable() -> Bool { true }
}
