import ContractCore
import Foundation

/// What happened to one interaction.
public enum InteractionOutcome: Sendable, Equatable {
    case passed
    case failed([Mismatch])
    /// The interaction could not be checked (state change failed, request failed, timeout…).
    case error(String)

    public var isPassed: Bool { self == .passed }
}

public struct InteractionResult: Sendable {
    public let consumer: String
    public let provider: String
    public let source: String
    public let description: String
    public let providerStates: [String]
    /// "http", "message" or "synchronous-message".
    public let kind: String
    public let pending: Bool
    public let outcome: InteractionOutcome
    public let duration: Double
    /// `GET /path` or `topic order.created`.
    public let target: String
    /// What is worth knowing but does not fail the interaction (checks against an OpenAPI document).
    public var warnings: [Mismatch] = []
}

/// The results of a verification run, in the order interactions were verified.
public struct VerificationReport: Sendable {
    public var results: [InteractionResult] = []
    public var startedAt = Date()
    public var duration: Double = 0

    public init() {}

    /// Failed or errored interactions that count (pending ones do not).
    public var failures: [InteractionResult] { results.filter { !$0.outcome.isPassed && !$0.pending } }
    public var passed: Int { results.filter(\.outcome.isPassed).count }
    public var pendingFailures: Int { results.filter { !$0.outcome.isPassed && $0.pending }.count }
    public var errors: Int { results.filter { if case .error = $0.outcome { return true } else { return false } }.count }
    public var succeeded: Bool { failures.isEmpty }
    /// Warnings over all results (they fail nothing).
    public var warnings: Int { results.map(\.warnings.count).reduce(0, +) }

    /// The results grouped by pact source, in the order the sources were verified.
    public var bySource: [(source: String, results: [InteractionResult])] {
        var groups: [(source: String, results: [InteractionResult])] = []
        for result in results {
            if let last = groups.indices.last, groups[last].source == result.source {
                groups[last].results.append(result)
            } else if let i = groups.firstIndex(where: { $0.source == result.source }) {
                groups[i].results.append(result)
            } else {
                groups.append((result.source, [result]))
            }
        }
        return groups
    }
}
