import Transport
public import Foundation

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

/// Timestamps: sent as ISO 8601, read from PostgreSQL's `2026-11-25 12:00:00.123456+00`.
extension Date: PostgresEncodable, PostgresDecodable {
    public var postgresText: String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: self)
    }

    public init(postgresText text: String) throws {
        let chars = Array(text)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= chars.count else { return nil }
            return Int(String(chars[from..<(from + count)]))
        }
        guard chars.count >= 19, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else {
            throw PostgresDecodingError(text: text, type: "Date")
        }
        var index = 19
        var fraction = 0.0
        if index < chars.count, chars[index] == "." {
            var digits = "0."
            index += 1
            while index < chars.count, chars[index].isNumber { digits.append(chars[index]); index += 1 }
            fraction = Double(digits) ?? 0
        }
        var offset = 0
        if index < chars.count, chars[index] == "+" || chars[index] == "-" {
            let sign = chars[index] == "-" ? -1 : 1
            let hours = number(index + 1, 2) ?? 0
            let minutes = index + 3 < chars.count && chars[index + 3] == ":" ? number(index + 4, 2) ?? 0 : 0
            offset = sign * (hours * 3600 + minutes * 60)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let base = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)) else {
            throw PostgresDecodingError(text: text, type: "Date")
        }
        self = base.addingTimeInterval(fraction - Double(offset))
    }
}

/// A value that can be an element of an array parameter.
public protocol PostgresArrayElement: PostgresEncodable {
    /// The element as it is written inside an array literal.
    var postgresArrayElement: String { get }
}

extension Int: PostgresArrayElement {
    public var postgresArrayElement: String { String(self) }
}

extension String: PostgresArrayElement {
    /// Quoted, with `"` and `\` escaped, so any text is one element.
    public var postgresArrayElement: String {
        "\"" + replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// Arrays as PostgreSQL array literals (`{1,2,3}`, `{"a","b"}`), for `= ANY($1)`.
extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public var postgresText: String { "{" + map(\.postgresArrayElement).joined(separator: ",") + "}" }
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
