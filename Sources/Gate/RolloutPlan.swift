package import SLO

/// A whole rollout, stage after stage (`tollgate rollout`): what follows each stage's verdict.
/// Pure: the command runs the gates and waits out the bakes.
package struct RolloutPlan: Sendable, Equatable {
    /// The stages in order, each a percentage the gate file lists.
    package let stages: [Int]

    /// What comes next.
    package enum Step: Sendable, Equatable {
        /// Judge this percentage; `profileStage` is the listed stage whose load profile it runs
        /// (itself, or, for a halved stage, the nearest listed one below it).
        case judge(percent: Int, profileStage: Int, afterReduction: Bool)
        /// Wait the bake time at `percent`, then judge the next stage.
        case bake(percent: Int, next: Int)
        /// The rollout ends: 0 the last stage held, 4 paused (or held after a reduction), 5 rolled back, 2 a gate could not run.
        case finished(exitCode: Int32, reason: String)
    }

    package init(stages: [Int]) { self.stages = stages }

    /// The first step: the first stage above `current` (0 when starting afresh).
    package func start(at current: Int) -> Step {
        guard let first = stages.first(where: { $0 > current }) else {
            return .finished(exitCode: 0, reason: "the rollout is at \(current) %, the last stage (\(stages.last ?? 0) %): nothing left to move")
        }
        return .judge(percent: first, profileStage: first, afterReduction: false)
    }

    /// After the gate judged `percent` (a reduced stage when `afterReduction`), with the verdict
    /// applied: proceed → bake, then the next stage; reduce → the halved stage judged again, and
    /// the rollout stops there; pause → stop; roll back → stop.
    package func next(after percent: Int, verdict: GateVerdict, afterReduction: Bool, aborted: Bool) -> Step {
        if aborted { return .finished(exitCode: 2, reason: "the gate at \(percent) % could not finish; the rollout is where that gate left it") }
        switch verdict.action {
        case .proceed:
            if afterReduction {
                return .finished(exitCode: 4, reason: "\(percent) % held after a reduction: the rollout stops there until the cause is fixed (then --resume)")
            }
            guard let next = stages.first(where: { $0 > percent }) else {
                return .finished(exitCode: 0, reason: "the last stage, \(percent) %, was reached and held")
            }
            return .bake(percent: percent, next: next)
        case .reduce:
            guard !afterReduction, verdict.rolloutPercent > 0 else {
                return .finished(exitCode: 4, reason: "\(percent) % asked for a reduction again: the rollout stops at \(verdict.rolloutPercent) %")
            }
            let halved = verdict.rolloutPercent
            return .judge(percent: halved, profileStage: stages.last { $0 <= halved } ?? stages.first ?? halved, afterReduction: true)
        case .pause:
            return .finished(exitCode: 4, reason: "paused at \(percent) %: the rollout stays there (--resume goes on from it)")
        case .rollback:
            return .finished(exitCode: 5, reason: "rolled back from \(percent) % to 0 %")
        }
    }
}
