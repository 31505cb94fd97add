package import ContractCore
package import Foundation

/// What happened to one interaction.
package enum InteractionOutcome: Sendable, Equatable {
    case passed
    case failed([Mismatch])
    /// The interaction could not be checked (state change failed, request failed, timeout…).
    case error(String)

    package var isPassed: Bool { self == .passed }
}

package struct InteractionResult: Sendable {
    package let consumer: String
    /// The provider's name (with the implementation verified, when a gate names several).
    package var provider: String
    package let source: String
    package let description: String
    package let providerStates: [String]
    /// "http", "message" or "synchronous-message".
    package let kind: String
    package let pending: Bool
    package let outcome: InteractionOutcome
    package let duration: Double
    /// `GET /path` or `topic order.created`.
    package let target: String
    /// What is worth knowing but does not fail the interaction (checks against an OpenAPI document).
    package var warnings: [Mismatch] = []
}

/// The results of a verification run, in the order interactions were verified.
package struct VerificationReport: Sendable {
    package var results: [InteractionResult] = []
    package var startedAt = Date()
    package var duration: Double = 0

    package init() {}

    /// Failed or errored interactions that count (pending ones do not).
    package var failures: [InteractionResult] { results.filter { !$0.outcome.isPassed && !$0.pending } }
    package var passed: Int { results.filter(\.outcome.isPassed).count }
    package var pendingFailures: Int { results.filter { !$0.outcome.isPassed && $0.pending }.count }
    package var errors: Int { results.filter { if case .error = $0.outcome { return true } else { return false } }.count }
    package var succeeded: Bool { failures.isEmpty }
    /// Warnings over all results (they fail nothing).
    package var warnings: Int { results.map(\.warnings.count).reduce(0, +) }

    /// The results grouped by pact source, in the order the sources were verified.
    package var bySource: [(source: String, results: [InteractionResult])] {
        var groups: [(source: String, results: [InteractionResult])] = []
        // A pact verified against several implementations of its provider is a group per implementation.
        func same(_ group: (source: String, results: [InteractionResult]), _ result: InteractionResult) -> Bool {
            group.source == result.source && group.results[0].provider == result.provider
        }
        for result in results {
            if let last = groups.indices.last, same(groups[last], result) {
                groups[last].results.append(result)
            } else if let i = groups.firstIndex(where: { same($0, result) }) {
                groups[i].results.append(result)
            } else {
                groups.append((result.source, [result]))
            }
        }
        return groups
    }
}
