import Gate
import SLO
import Testing

/// What a whole rollout does after each stage's verdict.
struct RolloutPlanTests {
    private let plan = RolloutPlan(stages: [10, 25, 50, 100])

    private func verdict(_ stage: Int, _ action: RolloutAction) -> GateVerdict {
        GateVerdict(stage: stage, triggers: action == .proceed ? [] : [GateTrigger(name: "t", value: 1, threshold: 0, unit: "", breached: true, action: action, evidence: "")])
    }

    @Test func eachStageThatHoldsBakesThenTheNextIsJudgedUntilTheLast() {
        #expect(plan.start(at: 0) == .judge(percent: 10, profileStage: 10, afterReduction: false))
        #expect(plan.next(after: 10, verdict: verdict(10, .proceed), afterReduction: false, aborted: false) == .bake(percent: 10, next: 25))
        guard case .finished(0, _) = plan.next(after: 100, verdict: verdict(100, .proceed), afterReduction: false, aborted: false) else {
            Issue.record("the last stage held: exit 0")
            return
        }
    }

    @Test func aReductionJudgesTheHalvedStageWithTheNearestProfileAndStopsThere() {
        #expect(plan.next(after: 50, verdict: verdict(50, .reduce), afterReduction: false, aborted: false) == .judge(percent: 25, profileStage: 25, afterReduction: true))
        #expect(plan.next(after: 25, verdict: verdict(25, .reduce), afterReduction: false, aborted: false) == .judge(percent: 12, profileStage: 10, afterReduction: true))
        guard case .finished(4, let reason) = plan.next(after: 25, verdict: verdict(25, .proceed), afterReduction: true, aborted: false) else {
            Issue.record("held after a reduction: the rollout stops there")
            return
        }
        #expect(reason.contains("25 % held after a reduction"))
    }

    @Test func pauseStopsRollbackStopsAndAnAbortedGateCouldNotRun() {
        guard case .finished(4, _) = plan.next(after: 25, verdict: verdict(25, .pause), afterReduction: false, aborted: false),
              case .finished(5, _) = plan.next(after: 50, verdict: verdict(50, .rollback), afterReduction: false, aborted: false),
              case .finished(2, _) = plan.next(after: 10, verdict: verdict(10, .pause), afterReduction: false, aborted: true) else {
            Issue.record("pause 4, roll back 5, aborted 2")
            return
        }
    }

    @Test func resumingStartsAfterWhereTheRolloutIs() {
        #expect(plan.start(at: 25) == .judge(percent: 50, profileStage: 50, afterReduction: false))
        guard case .finished(0, _) = plan.start(at: 100) else {
            Issue.record("already at the last stage")
            return
        }
    }
}
