import Transport
import CLibPQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection. Queries are parameterised (`$1`, `$2`, …) and never built from strings.
/// Not safe to share between threads; use `PostgresPool` from concurrent code.
public final class PostgresConnection {
    private let connection: OpaquePointer
    /// Set when a ROLLBACK failed: the session may still be inside a transaction.
    private var poisoned = false

    /// Connects to `url` (`postgresql://user:password@host:port/database?sslmode=disable`).
    public init(url: String) throws {
        guard let connection = PQconnectdb(url) else {
            throw PostgresError(sqlState: nil, message: "cannot allocate a PostgreSQL connection", detail: nil)
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(connection)
            throw PostgresError(sqlState: "08001", message: "cannot connect to PostgreSQL: \(message)", detail: nil)
        }
        self.connection = connection
        // Notices (e.g. "relation already exists, skipping") are not errors: keep them off stderr.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit { PQfinish(connection) }

    /// Whether an idle connection is still usable: nothing may arrive on an idle session, so
    /// anything readable (a server's goodbye, the end of the stream) means it is gone.
    public var isAliveWhileIdle: Bool {
        guard isHealthy else { return false }
        var descriptor = pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    /// Whether the connection is still usable.
    public var isHealthy: Bool { !poisoned && PQstatus(connection) == CONNECTION_OK }

    /// Runs `sql` with `parameters` bound to `$1…$n` and returns the rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) throws -> [PostgresRow] {
        let result = try run(sql, parameters)
        defer { PQclear(result) }
        return rows(of: result)
    }

    /// Runs a statement and returns how many rows it changed.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) throws -> Int {
        let result = try run(sql, parameters)
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// Sends a statement without waiting for it: the server works on it while the caller does
    /// something else (sends one on another connection); `receive` waits for its rows. One
    /// statement at a time per connection.
    public func send(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) throws {
        let sent = try withParameters(parameters) { count, values in PQsendQueryParams(connection, sql, count, nil, values, nil, nil, 0) }
        guard sent == 1 else {
            throw PostgresError(sqlState: PQstatus(connection) == CONNECTION_OK ? nil : "08006",
                                message: String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines), detail: nil)
        }
    }

    /// The rows of the statement `send` sent, once the server has them.
    public func receive() throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        try receiveResults { rows = self.rows(of: $0) }
        return rows
    }

    /// The rows of the statement `send` sent, each made into a `T` by `row` from its column
    /// texts (by position, nil for NULL) as it is read: no intermediate row values.
    public func receive<T>(_ row: (_ column: (Int) -> String?) -> T) throws -> [T] {
        var values: [T] = []
        try receiveResults { result in
            let count = PQntuples(result), columns = Int(PQnfields(result))
            values.reserveCapacity(Int(count))
            for r in 0..<count {
                values.append(row { c in
                    guard c < columns, PQgetisnull(result, r, Int32(c)) == 0 else { return nil }
                    return String(cString: PQgetvalue(result, r, Int32(c)))
                })
            }
        }
        return values
    }

    /// Reads every result of the statement `send` sent (so the connection is ready for the next
    /// one), handing each successful one to `body`; throws the first failure.
    private func receiveResults(_ body: (OpaquePointer) -> Void) throws {
        var failure: (any Error)?
        var answered = false
        while let result = PQgetResult(connection) {
            answered = true
            defer { PQclear(result) }
            do {
                try check(result)
                body(result)
            } catch {
                if failure == nil { failure = error }
            }
        }
        if let failure { throw failure }
        guard answered else {
            // No result at all: the connection is gone (08006, connection failure).
            throw PostgresError(sqlState: "08006", message: String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines), detail: nil)
        }
    }

    private func rows(of result: OpaquePointer) -> [PostgresRow] {
        let rowCount = PQntuples(result), columnCount = PQnfields(result)
        var columns: [String: Int] = [:]
        for c in 0..<columnCount { columns[String(cString: PQfname(result, c))] = Int(c) }
        var rows: [PostgresRow] = []
        rows.reserveCapacity(Int(rowCount))
        for r in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(Int(columnCount))
            for c in 0..<columnCount {
                values.append(PQgetisnull(result, r, c) == 1 ? nil : String(cString: PQgetvalue(result, r, c)))
            }
            rows.append(PostgresRow(columns: columns, values: values))
        }
        return rows
    }

    /// Calls `body` with the parameters as C strings (nil for NULL), refusing a NUL inside one.
    private func withParameters<T>(_ parameters: [(any PostgresEncodable)?], _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> T) throws -> T {
        let texts = parameters.map { $0?.postgresText }
        // libpq takes C strings: a NUL would silently cut the value short.
        if let index = texts.firstIndex(where: { $0?.utf8.contains(0) == true }) {
            throw PostgresError(sqlState: "22021", message: "parameter $\(index + 1) contains a NUL character, which PostgreSQL text cannot hold", detail: nil)
        }
        let cStrings: [UnsafeMutablePointer<CChar>?] = texts.map { $0.map { strdup($0)! } }
        defer { cStrings.forEach { free($0) } }
        return cStrings.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { values in body(Int32(parameters.count), values.baseAddress) }
        }
    }

    private func run(_ sql: String, _ parameters: [(any PostgresEncodable)?]) throws -> OpaquePointer {
        let result: OpaquePointer? = try withParameters(parameters) { count, values in
            PQexecParams(connection, sql, count, nil, values, nil, nil, 0)
        }
        guard let result else {
            // No result at all: the connection is gone (08006, connection failure).
            throw PostgresError(sqlState: "08006", message: String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines), detail: nil)
        }
        do { try check(result) } catch {
            PQclear(result)
            throw error
        }
        return result
    }

    /// Throws the error a failed result carries.
    private func check(_ result: OpaquePointer) throws {
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return
        default:
            func field(_ code: UInt8) -> String? {
                PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
            }
            throw PostgresError(
                // A client-side failure has no SQLSTATE; a dropped connection is 08006.
                sqlState: field(UInt8(ascii: "C")) ?? (PQstatus(connection) == CONNECTION_OK ? nil : "08006"),
                message: field(UInt8(ascii: "M")) ?? String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines),
                detail: field(UInt8(ascii: "D")))
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body(self)
            try execute("COMMIT")
            return value
        } catch {
            do {
                try execute("ROLLBACK")
            } catch let rollback {
                // The session's state is unknown now: never hand this connection out again.
                poisoned = true
                throw PostgresError(sqlState: (error as? PostgresError)?.sqlState, message: "\(error); and the ROLLBACK failed: \(rollback)", detail: nil)
            }
            throw error
        }
    }
}
