import Foundation

/// Failures a store reports to its service.
package enum StoreError: Error, Sendable, Equatable {
    /// A unique value (email, idempotency key, SKU) is already taken.
    case duplicate(String)
    /// A change would break an invariant (stock below zero, …).
    case conflict(String)
    case notFound(String)
}

/// Money is `Decimal`, rounded to cents half-up, never binary floating point.
extension Decimal {
    func roundedToCents() -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, 2, .plain)
        return result
    }

    /// Whole cents, as the payment provider wants amounts; nil beyond `InputLimits.maxMoney`
    /// (where converting could no longer be exact).
    var cents: Int? {
        guard !isNaN, abs(self) <= InputLimits.maxMoney else { return nil }
        return NSDecimalNumber(decimal: (self * 100).roundedToCents()).intValue
    }
}
