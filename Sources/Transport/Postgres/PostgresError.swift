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

    /// The database cannot be reached or the connection broke (SQLSTATE class 08), or the pool
    /// had no connection to give: the request may succeed later.
    public var isUnavailable: Bool { sqlState?.hasPrefix("08") == true || sqlState == "53300" || sqlState == nil }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isCheckViolation: Bool { sqlState == "23514" }
}
