import ContractCore
import Foundation
import ResponseParity
import Synchronization
import TransportHTTP

/// Response parity on live traffic, in the gateway (`--mirror-percent`): a sample of GETs is
/// sent again in the background — once more to the side that answered (the secondary: what
/// differs there is noise, learned per route) and once to the other side (the candidate) — and
/// compared with the answer the client got. The client is answered from its routed side only
/// and never waits; each comparison is counted in `gateway_parity_total{route,result}`:
/// `same`, `noise` (differences the baseline also has with itself), `different`, `error`.
package final class GatewayMirror: Sendable {
    /// Share of GETs mirrored, 0–100.
    package let percent: Double
    private let comparison: JSONComparison
    /// Per route: the JSON paths where a side has differed from itself (learned over the run).
    private let noise = Mutex<[String: Set<String>]>([:])
    private let sampled: Mutex<EvenShare>
    /// Mirrors in flight: past `maximumInFlight` a GET is not sampled (the mirror never piles up).
    private let inFlight = Atomic(0)
    static let maximumInFlight = 64
    /// The most routes kept apart in the counter (`(other)` past it).
    static let maximumRoutes = 200

    /// - Parameters:
    ///   - percent: share of GETs mirrored, 0–100.
    ///   - ignored: JSON paths never compared (`$.created_at`).
    package init(percent: Double, ignored: Set<String> = []) {
        self.percent = percent
        comparison = JSONComparison(ignored: ignored)
        sampled = Mutex(EvenShare(percent / 100))
    }

    static let counter = MetricName(metricName: "gateway_parity", unitName: "total",
                                    helpText: "Mirrored GETs compared with the answer the client got, by route and result (same, noise, different, error).")

    /// Whether this GET is mirrored.
    func samples() -> Bool {
        guard percent > 0, inFlight.load(ordering: .relaxed) < Self.maximumInFlight else { return false }
        return sampled.withLock { $0.next() }
    }

    /// Compares `primary` (what the client got) with the same request sent again to its side and
    /// to the other side, in the background; `count` is told the route and the result.
    func mirror(route: String, primary: HTTPClientResponse, again: HTTPClientRequest, other: HTTPClientRequest, pool: HTTPClientPool,
                count: @escaping @Sendable (_ route: String, _ result: String) -> Void) {
        inFlight.add(1, ordering: .relaxed)
        let label = noise.withLock { $0[route] != nil || $0.count < Self.maximumRoutes ? route : "(other)" }
        Task { [self] in
            defer { inFlight.subtract(1, ordering: .relaxed) }
            async let secondary = try? pool.send(again)
            async let candidate = try? pool.send(other)
            guard let secondary = await secondary, let candidate = await candidate else { return count(label, "error") }
            let learned = differences(primary, secondary).map(\.path)
            let known = noise.withLock { state -> Set<String> in
                state[label, default: []].formUnion(learned)
                return state[label] ?? []
            }
            let found = differences(primary, candidate).map(\.path)
            count(label, found.isEmpty ? "same" : found.allSatisfy(known.contains) ? "noise" : "different")
        }
    }

    private func differences(_ a: HTTPClientResponse, _ b: HTTPClientResponse) -> [JSONDifference] {
        var found: [JSONDifference] = []
        if a.status != b.status { found.append(JSONDifference(path: "status", baseline: nil, candidate: nil)) }
        if let left = try? JSONParser.parse(a.body), let right = try? JSONParser.parse(b.body) {
            found += comparison.differences(left, right)
        } else if a.body != b.body {
            found.append(JSONDifference(path: "body", baseline: nil, candidate: nil))
        }
        return found
    }
}
