import Foundation
import LoadMetrics

/// How to tell which path served a request: a response header the router sets and its value on
/// each side (the bundled gateway: `X-Routed-To: legacy|services`).
package struct PathSplit: Sendable, Equatable {
    /// The header's name, lower-cased.
    package let header: String
    package let baseline: String
    package let canary: String

    package init(header: String, baseline: String, canary: String) {
        self.header = header.lowercased()
        self.baseline = baseline
        self.canary = canary
    }

    /// The bundled gateway's split.
    package static let gateway = PathSplit(header: "X-Routed-To", baseline: "legacy", canary: "services")

    /// The path a response's headers name; nil when the header is absent or has another value.
    package func path(_ headers: [(name: String, value: String)]) -> TrafficPath? {
        guard let value = headers.first(where: { $0.name.lowercased() == header })?.value.trimmingCharacters(in: .whitespaces) else { return nil }
        if value.caseInsensitiveCompare(canary) == .orderedSame { return .canary }
        if value.caseInsensitiveCompare(baseline) == .orderedSame { return .baseline }
        return nil
    }
}
