package import Foundation

/// The limits every service enforces on what clients send, the same for the in-memory and
/// the PostgreSQL stores (the README lists them). Anything outside is a 422 naming the field.
package enum InputLimits {
    /// The largest amount of money anywhere (prices, payments, refunds): 1,000,000.00.
    package static let maxMoney = Decimal(1_000_000)
    /// The same in the payment provider's minor units (cents).
    package static let maxCents = 100_000_000
    package static let maxQuantity = 1_000
    package static let maxOrderLines = 100
    package static let maxStock = 1_000_000
    package static let maxPage = 100_000
    /// Ids are 32-bit in every store.
    package static let maxID = Int(Int32.max)
    package static let maxImages = 20
    package static let maxLatencyMs = 60_000
}

/// Checks for values from outside; each failure is an `APIError` 422 that names the field.
enum Validate {
    /// A text field: at most `max` characters, no control characters (newlines and tabs only
    /// where `multiline`), not blank when `required`.
    @discardableResult
    static func text(_ value: String, _ field: String, max: Int, required: Bool = true, multiline: Bool = false) throws -> String {
        if required, value.trimmingCharacters(in: .whitespaces).isEmpty { throw APIError.invalid("'\(field)' must not be empty") }
        if value.utf8.count > max * 4 || value.count > max { throw APIError.invalid("'\(field)' must have at most \(max) characters") }
        for scalar in value.unicodeScalars where scalar.properties.generalCategory == .control {
            if multiline, scalar == "\n" || scalar == "\t" || scalar == "\r" { continue }
            throw APIError.invalid("'\(field)' must not contain control characters (found U+\(String(format: "%04X", scalar.value)))")
        }
        return value
    }

    /// An optional text field (see `text`).
    @discardableResult
    static func text(_ value: String?, _ field: String, max: Int, multiline: Bool = false) throws -> String? {
        guard let value else { return nil }
        return try text(value, field, max: max, required: false, multiline: multiline)
    }

    /// An amount of money: exact, at most two decimal places, above zero (or zero when
    /// `allowZero`), at most `InputLimits.maxMoney`.
    @discardableResult
    static func money(_ value: Decimal, _ field: String, allowZero: Bool = false) throws -> Decimal {
        guard !value.isNaN, allowZero ? value >= 0 : value > 0, value <= InputLimits.maxMoney else {
            throw APIError.invalid("'\(field)' must be \(allowZero ? "between 0" : "above 0 and at most") \(allowZero ? "and " : "")\(InputLimits.maxMoney)")
        }
        guard value.roundedToCents() == value else { throw APIError.invalid("'\(field)' must have at most two decimal places") }
        return value
    }

    /// A whole number within `range`.
    @discardableResult
    static func integer(_ value: Int, _ field: String, in range: ClosedRange<Int>) throws -> Int {
        guard range.contains(value) else { throw APIError.invalid("'\(field)' must be between \(range.lowerBound) and \(range.upperBound)") }
        return value
    }

    /// A three-letter ISO 4217 currency code.
    static func currency(_ value: String, _ field: String = "currency") throws -> String {
        guard value.utf8.count == 3, value.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("a"..."z").contains($0) }) else {
            throw APIError.invalid("'\(field)' must be a 3-letter ISO currency code")
        }
        return value
    }

    /// An `Idempotency-Key` header: printable, at most 255 characters.
    static func idempotencyKey(_ value: String) throws -> String {
        guard !value.isEmpty, value.utf8.count <= 255, value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
            throw APIError.invalid("the Idempotency-Key header must be 1 to 255 printable ASCII characters")
        }
        return value
    }
}
