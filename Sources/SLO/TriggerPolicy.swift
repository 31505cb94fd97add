/// The rollout trigger policy in one table: every kind of trigger a gate evaluates, what it asks
/// for when breached (unless the gate file says otherwise, where it may) and when it has
/// nothing to judge. The migration guide's own triggers are `Objective.rolloutDefaults`.
package enum TriggerKind: String, Sendable, CaseIterable {
    /// A pact that failed (replayed, or against the provider's OpenAPI document).
    case contracts
    /// A purchase flow that failed.
    case flows
    /// A load objective (`slos:`): its own action, the guide's defaults without one.
    case objective
    /// The load stopped before its end.
    case loadCompleted
    /// A service's own counters (`metrics:`).
    case serviceMetric
    /// A PromQL query (`queries:`).
    case query
    /// Data inconsistency between the old and the new stores.
    case consistency
    /// A part of the gate that could not run.
    case partFailed
    /// The gate had no trigger at all.
    case noEvidence
    /// The gate lost its lease on the rollout while it ran.
    case leaseLost
    /// The canary judge (`judge:`): the action its score or a failing metric asks for.
    case canaryJudge
    /// An absolute trigger breached on both paths alike, the canary no worse: the environment's
    /// fault (a busy machine), never the canary's: a pause, never a reduction or a roll back.
    case environment
    /// Response parity (`parity:`): the new path answered differently beyond the threshold.
    case parity
    /// The Pact Broker's can-i-deploy for the stage's versions (`contracts.broker`): not deployable
    /// rolls back; unknown (a verification not published) is inconclusive, a pause.
    case canIDeploy

    /// What a breach asks for when the gate file names no action.
    package var defaultAction: RolloutAction {
        switch self {
        case .contracts, .flows, .objective, .serviceMetric, .query, .canaryJudge, .canIDeploy: return .rollback
        case .loadCompleted, .consistency, .partFailed, .noEvidence, .leaseLost, .environment, .parity: return .pause
        }
    }

    /// Whether the gate file may choose another action for triggers of this kind.
    package var actionConfigurable: Bool { self == .objective || self == .serviceMetric || self == .query || self == .parity }

    /// What a trigger of any kind asks for when it has nothing to judge (no requests selected,
    /// no data, no measurement): never a pass, never more than a pause.
    package static let whenInconclusive = RolloutAction.pause
}
