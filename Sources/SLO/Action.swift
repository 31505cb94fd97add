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

/// The outcome of a run: passed when every objective held on evidence, and the most severe
/// action a breached objective asks for (an inconclusive one asks for a pause).
public struct Verdict: Sendable, Equatable, Codable {
    public var passed: Bool
    public var action: RolloutAction
    /// The run stopped early: never a pass, at least a pause.
    public var aborted: Bool

    public init(passed: Bool, action: RolloutAction, aborted: Bool = false) {
        self.passed = passed && !aborted
        self.action = aborted ? max(action, .pause) : action
        self.aborted = aborted
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(passed: try c.decode(Bool.self, forKey: .passed), action: try c.decode(RolloutAction.self, forKey: .action),
                  aborted: try c.decodeIfPresent(Bool.self, forKey: .aborted) ?? false)
    }

    public init(_ results: [SLOResult], aborted: Bool = false) {
        let breached = results.filter { !$0.passed }
        self.init(passed: breached.isEmpty, action: breached.map(\.action).max() ?? .proceed, aborted: aborted)
    }
}
