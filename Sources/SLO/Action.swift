/// What a breached objective asks the rollout to do, mildest first.
public enum RolloutAction: String, Sendable, Codable, CaseIterable, Comparable {
    case proceed, reduce, pause, rollback

    public static func < (lhs: RolloutAction, rhs: RolloutAction) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// What a person reads: "proceed", "reduce traffic", "pause", "roll back".
    public var phrase: String {
        switch self {
        case .proceed: return "proceed"
        case .reduce: return "reduce traffic"
        case .pause: return "pause"
        case .rollback: return "roll back"
        }
    }
}

/// The outcome of a run: passed when no objective was breached, and the most severe action
/// any breached objective asks for.
public struct Verdict: Sendable, Equatable, Codable {
    public var passed: Bool
    public var action: RolloutAction

    public init(passed: Bool, action: RolloutAction) {
        self.passed = passed
        self.action = action
    }

    public init(_ results: [SLOResult]) {
        let breached = results.filter { !$0.passed }
        passed = breached.isEmpty
        action = breached.map(\.objective.action).max() ?? .proceed
    }
}
