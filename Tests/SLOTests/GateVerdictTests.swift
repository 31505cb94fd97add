import SLO
import Testing

/// One verdict from many triggers: the most severe breached action, and the rollout it asks for.
struct GateVerdictTests {
    static func trigger(_ name: String, breached: Bool, _ action: RolloutAction) -> GateTrigger {
        GateTrigger(name: name, value: breached ? 2 : 0, threshold: 1, unit: "%", breached: breached, action: action, evidence: "")
    }

    @Test func noBreachProceedsAtTheStage() {
        let verdict = GateVerdict(stage: 25, triggers: [Self.trigger("error_rate", breached: false, .rollback), Self.trigger("p95", breached: false, .reduce)])
        #expect(verdict.action == .proceed && verdict.rolloutPercent == 25 && verdict.exitCode == 0)
    }

    @Test func theMostSevereBreachDecides() {
        let reduce = GateVerdict(stage: 25, triggers: [Self.trigger("p95", breached: true, .reduce), Self.trigger("error_rate", breached: false, .rollback)])
        #expect(reduce.action == .reduce && reduce.rolloutPercent == 12 && reduce.exitCode == 3)
        let pause = GateVerdict(stage: 50, triggers: [Self.trigger("p95", breached: true, .reduce), Self.trigger("data", breached: true, .pause)])
        #expect(pause.action == .pause && pause.rolloutPercent == 50 && pause.exitCode == 4)
        let rollback = GateVerdict(stage: 75, triggers: [Self.trigger("data", breached: true, .pause), Self.trigger("payments", breached: true, .rollback)])
        #expect(rollback.action == .rollback && rollback.rolloutPercent == 0 && rollback.exitCode == 5)
    }

    @Test func everyVerdictHasItsOwnExitCodeApartFromFailedAndError() {
        let codes = RolloutAction.allCases.map { action in GateVerdict(stage: 10, triggers: [Self.trigger("t", breached: action != .proceed, action)]).exitCode }
        #expect(Set(codes).count == RolloutAction.allCases.count)
        #expect(!codes.contains(1) && !codes.contains(2))
    }
}
