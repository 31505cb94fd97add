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

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isCheckViolation: Bool { sqlState == "23514" }
}
