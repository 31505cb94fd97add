package import Foundation

/// A whole rollout's account (`tollgate rollout`): every stage's gate report in order, how it
/// ended and where the rollout is. Schema `tollgate.rollout/v1`.
package struct RolloutReport: Sendable {
    package static let schema = "tollgate.rollout/v1"

    package var gate: String
    package var source: String
    package var startedAt: Date
    package var seconds: Double
    /// The stages asked for, in order.
    package var plannedStages: [Int]
    /// Each gate run, in order (a halved stage judged again is one more).
    package var stages: [GateReport]
    /// 0 the last stage held, 4 paused, 5 rolled back, 2 could not run.
    package var exitCode: Int32
    package var reason: String
    /// The rollout's percentage when the command ended, as last read (nil when unknown).
    package var rolloutPercent: Int?

    package init(gate: String, source: String, startedAt: Date, plannedStages: [Int]) {
        self.gate = gate
        self.source = source
        self.startedAt = startedAt
        self.plannedStages = plannedStages
        seconds = 0
        stages = []
        exitCode = 2
        reason = ""
    }

    /// `proceed` (0), `pause` (4), `rollback` (5) or `error` (2).
    package var outcome: String {
        switch exitCode {
        case 0: return "completed"
        case 4: return "paused"
        case 5: return "rolled back"
        default: return "could not run"
        }
    }
}
