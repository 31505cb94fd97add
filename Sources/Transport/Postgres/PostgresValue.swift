import Foundation

/// A Swift value that can be sent as a query parameter (in PostgreSQL's text format).
public protocol PostgresEncodable: Sendable {
    var postgresText: String { get }
}

/// A Swift value that can be read from a column (in PostgreSQL's text format).
public protocol PostgresDecodable {
    init(postgresText text: String) throws
}

struct PostgresDecodingError: Error, CustomStringConvertible {
    let text: String
    let type: String
    var description: String { "cannot read '\(text)' as \(type)" }
}

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { self }
    public init(postgresText text: String) { self = text }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws {
        guard let v = Int(text) else { throw PostgresDecodingError(text: text, type: "Int") }
        self = v
    }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws {
        guard let v = Int64(text) else { throw PostgresDecodingError(text: text, type: "Int64") }
        self = v
    }
}

extension Double: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws {
        guard let v = Double(text) else { throw PostgresDecodingError(text: text, type: "Double") }
        self = v
    }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { self ? "t" : "f" }
    public init(postgresText text: String) throws {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw PostgresDecodingError(text: text, type: "Bool")
        }
    }
}

/// Exact decimals for money: NUMERIC columns read without binary floating point.
extension Decimal: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { NSDecimalNumber(decimal: self).stringValue }
    public init(postgresText text: String) throws {
        guard let v = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw PostgresDecodingError(text: text, type: "Decimal")
        }
        self = v
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { uuidString.lowercased() }
    public init(postgresText text: String) throws {
        guard let v = UUID(uuidString: text) else { throw PostgresDecodingError(text: text, type: "UUID") }
        self = v
    }
}

/// Timestamps as ISO 8601 (send `timestamptz` values; read them back in UTC).
extension Date: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { Date.iso(fractional: true).string(from: self) }
    public init(postgresText text: String) throws {
        // PostgreSQL prints "2026-11-25 12:00:00.123+00".
        var normalized = text.replacingOccurrences(of: " ", with: "T")
        if let sign = normalized.lastIndex(where: { $0 == "+" || $0 == "-" }), normalized.distance(from: sign, to: normalized.endIndex) == 3 {
            normalized += ":00"
        }
        guard let date = Date.iso(fractional: true).date(from: normalized) ?? Date.iso(fractional: false).date(from: normalized) else {
            throw PostgresDecodingError(text: text, type: "Date")
        }
        self = date
    }

    private static func iso(fractional: Bool) -> ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = fractional ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return f
    }
}

/// One row of a result, read by column name.
public struct PostgresRow: Sendable {
    let columns: [String: Int]
    let values: [String?]

    /// The raw text of `column`, nil for SQL NULL.
    public subscript(column: String) -> String? {
        guard let index = columns[column] else { return nil }
        return values[index]
    }

    /// The value of `column` as `T`; throws for a missing column, NULL or unreadable text.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns[column] else { throw PostgresError(sqlState: nil, message: "no column '\(column)' in the result", detail: nil) }
        guard let text = values[index] else { throw PostgresError(sqlState: nil, message: "column '\(column)' is NULL", detail: nil) }
        do { return try T(postgresText: text) } catch {
            throw PostgresError(sqlState: nil, message: "column '\(column)': \(error)", detail: nil)
        }
    }

    /// The value of `column` as `T`, nil for NULL.
    public func decodeIfPresent<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        guard let index = columns[column], values[index] != nil else { return nil }
        return try decode(column, as: type)
    }
}
