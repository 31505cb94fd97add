/// One rollout trigger a gate evaluated: what was measured, against what, and what a breach asks for.
package struct GateTrigger: Sendable, Codable, Equatable {
    package var name: String
    package var value: Double
    package var threshold: Double
    package var unit: String
    package var breached: Bool
    package var action: RolloutAction
    /// Where the value comes from, in words (which part of the gate, a few examples).
    package var evidence: String
    /// Why there was nothing to judge (no requests selected, no data): the trigger neither held
    /// nor breached, and the gate pauses.
    package var inconclusive: String?

    package init(name: String, value: Double, threshold: Double, unit: String, breached: Bool, action: RolloutAction, evidence: String,
                inconclusive: String? = nil) {
        self.name = name
        self.value = value
        self.threshold = threshold
        self.unit = unit
        self.breached = inconclusive == nil && breached
        self.action = action
        self.evidence = evidence
        self.inconclusive = inconclusive
    }

    /// What the trigger asks for: its action when breached, a pause when inconclusive, nil when it held.
    package var demand: RolloutAction? { inconclusive != nil ? TriggerKind.whenInconclusive : breached ? action : nil }
}

/// A gate's one verdict: the most severe action of the breached triggers (a pause for an
/// inconclusive one; proceed when none), and where that leaves the rollout.
package struct GateVerdict: Sendable, Codable, Equatable {
    package var action: RolloutAction
    /// The stage the gate checked.
    package var stage: Int
    /// The rollout percentage the verdict asks for: the stage (proceed, pause), half of it
    /// (reduce), 0 (roll back).
    package var rolloutPercent: Int

    package init(stage: Int, triggers: [GateTrigger]) {
        self.stage = stage
        action = triggers.compactMap(\.demand).max() ?? .proceed
        switch action {
        case .proceed, .pause: rolloutPercent = stage
        case .reduce: rolloutPercent = stage / 2
        case .rollback: rolloutPercent = 0
        }
    }

    /// The process exit status of each verdict: 0 proceed, 3 reduce, 4 pause, 5 roll back
    /// (1 is never a verdict; 2 means the gate could not run).
    package var exitCode: Int32 {
        switch action {
        case .proceed: return 0
        case .reduce: return 3
        case .pause: return 4
        case .rollback: return 5
        }
    }
}
