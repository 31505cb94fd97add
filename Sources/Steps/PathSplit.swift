import Foundation
package import LoadMetrics

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

/// For stacks with no header that names the path: two base URLs, and the users divided between
/// them by the stage's percentage, each user (an iteration: one visitor) on one side throughout.
package struct TargetSplit: Sendable, Equatable {
    package let baseline: TargetURL
    package let canary: TargetURL
    /// The share of users (0–100) sent to the canary.
    package let percent: Int

    package init(baseline: TargetURL, canary: TargetURL, percent: Int) {
        self.baseline = baseline
        self.canary = canary
        self.percent = min(100, max(0, percent))
    }

    /// The side user `id` is on: the same for the same id, `percent` of the ids on the canary.
    package func path(forUser id: Int) -> TrafficPath {
        // FNV-1a over the id's bytes, so neighbouring ids spread over the buckets.
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in withUnsafeBytes(of: UInt64(truncatingIfNeeded: id).littleEndian, Array.init) { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        return Int(hash % 100) < percent ? .canary : .baseline
    }

    package func target(_ path: TrafficPath) -> TargetURL { path == .canary ? canary : baseline }
}
