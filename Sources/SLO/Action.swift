/// What a breached objective asks the rollout to do, mildest first.
package enum RolloutAction: String, Sendable, Codable, CaseIterable, Comparable {
    case proceed, reduce, pause, rollback

    package static func < (lhs: RolloutAction, rhs: RolloutAction) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// What a person reads: "proceed", "reduce traffic", "pause", "roll back".
    package var phrase: String {
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
package struct Verdict: Sendable, Equatable, Codable {
    package var passed: Bool
    package var action: RolloutAction
    /// The run stopped early: never a pass, at least a pause.
    package var aborted: Bool

    package init(passed: Bool, action: RolloutAction, aborted: Bool = false) {
        self.passed = passed && !aborted
        self.action = aborted ? max(action, .pause) : action
        self.aborted = aborted
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(passed: try c.decode(Bool.self, forKey: .passed), action: try c.decode(RolloutAction.self, forKey: .action),
                  aborted: try c.decodeIfPresent(Bool.self, forKey: .aborted) ?? false)
    }

    package init(_ results: [SLOResult], aborted: Bool = false) {
        let breached = results.filter { !$0.passed }
        self.init(passed: breached.isEmpty, action: breached.map(\.action).max() ?? .proceed, aborted: aborted)
    }
}
