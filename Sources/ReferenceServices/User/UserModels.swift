import Foundation

/// A stored user (the password only as a PBKDF2 hash).
public struct User: Codable, Sendable, Equatable {
    public var id: String
    public var email: String
    public var passwordHash: String
    public var firstName: String
    public var lastName: String
    public var phone: String?
    public var role: String
    public var createdAt: Date
    public var updatedAt: Date

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
public struct Address: Codable, Sendable, Equatable {
    public var id: String
    public var userId: String
    public var street: String
    public var city: String
    public var state: String
    public var zipCode: String
    public var country: String
    public var isDefault: Bool
    public var createdAt: Date
}

/// The users database: `users`, `addresses`, `sessions`.
public protocol UserStore: OutboxStore {
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
public actor InMemoryUserStore: UserStore, InMemoryOutboxStore {
    var outbox = InMemoryOutbox()
    private var users: [String: User] = [:]
    private var byEmail: [String: String] = [:]
    private var addressesByUser: [String: [Address]] = [:]
    private var sessions: [(userID: String, tokenID: String, expiresAt: Date)] = []

    public init() {}

    public func insert(_ user: User, events: [DomainEvent]) throws {
        guard byEmail[user.email.lowercased()] == nil else { throw StoreError.duplicate("email") }
        users[user.id] = user
        byEmail[user.email.lowercased()] = user.id
        outbox.append(events)
    }

    public func user(id: String) -> User? { users[id] }
    public func user(email: String) -> User? { byEmail[email.lowercased()].flatMap { users[$0] } }

    public func update(_ user: User) throws {
        guard users[user.id] != nil else { throw StoreError.notFound("user") }
        users[user.id] = user
    }

    public func addresses(userID: String) -> [Address] { addressesByUser[userID] ?? [] }

    public func insert(_ address: Address) {
        if address.isDefault {
            addressesByUser[address.userId] = addressesByUser[address.userId]?.map { var a = $0; a.isDefault = false; return a }
        }
        addressesByUser[address.userId, default: []].append(address)
    }

    public func recordSession(userID: String, tokenID: String, expiresAt: Date) {
        sessions.append((userID, tokenID, expiresAt))
    }

    public func users(after id: String?, limit: Int) -> [User] {
        Array(users.values.filter { id == nil || id!.utf8.lexicographicallyPrecedes($0.id.utf8) }
            .sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }.prefix(limit))
    }

    public func isReachable() -> Bool { true }
}
