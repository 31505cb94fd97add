import Transport
/// A PostgreSQL failure; server errors carry the SQLSTATE code (e.g. `23505` unique violation).
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public let sqlState: String?
    public let message: String
    public let detail: String?

    public init(sqlState: String?, message: String, detail: String?) {
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
    }

    public var description: String {
        var text = sqlState.map { "[\($0)] " } ?? ""
        text += message
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        return text
    }

    /// No pooled connection became free in time (SQLSTATE 53300, too many connections).
    static func poolTimeout(seconds: Double, connections: Int) -> PostgresError {
        PostgresError(sqlState: "53300", message: "no database connection became free within \(seconds) s (pool of \(connections))", detail: nil)
    }

    /// The database cannot be reached or the connection broke (SQLSTATE class 08, a server
    /// shutting down or starting), or the pool had no connection to give: a retry may succeed.
    public var isUnavailable: Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || ["53300", "57P01", "57P02", "57P03"].contains(sqlState)
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isCheckViolation: Bool { sqlState == "23514" }
}
