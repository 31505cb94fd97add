import Foundation
import LoadMetrics
import SLO
import Testing

@Suite struct ObjectiveTests {
    @Test(arguments: [
        ("p95<500ms", "p95<500ms:rollback"), ("p99.9 < 2s : pause", "p99.9<2000ms:pause"), ("max<=250us:reduce", "max<=0.25ms:reduce"),
        ("error_rate<1%", "error_rate<1%:rollback"), ("payment_failure_rate<0.1", "payment_failure_rate<0.1%:rollback"),
        ("rate>100/s:proceed", "rate>100/s:proceed"), ("checks>=99%", "checks>=99%:rollback"), ("p99{name=place order}<1.5s", "p99{name=place order}<1500ms:rollback"),
        ("error_rate{tag=payment}<2%:pause", "error_rate{tag=payment}<2%:pause"), ("dropped_iterations<=0", "dropped_iterations<=0:rollback"),
    ])
    func expressionsReadAndWriteBack(text: String, written: String) throws {
        #expect(try Objective(parsing: text).expression == written)
        #expect(try Objective(parsing: written).expression == written)
    }

    @Test(arguments: [
        ("p95<fast", "not a number"), ("p95<5parsecs", "unknown duration unit"), ("p101<5ms", "unknown metric"), ("latency<5ms", "unknown metric"),
        ("error_rate<150%", "at most 100"), ("p95<5ms:panic", "unknown action"), ("p95", "no comparison"), ("rate{tag=x}>1", "only latency and error_rate"),
        ("p95{colour=red}<5ms", "unknown scope"), ("", "empty"),
    ])
    func badExpressionsSayWhy(text: String, reason: String) {
        do {
            _ = try Objective(parsing: text)
            Issue.record("'\(text)' was accepted")
        } catch let error as ObjectiveError {
            #expect(error.reason.contains(reason), "\(error)")
        } catch {
            Issue.record("\(error)")
        }
    }

    static func metrics(latencies: [UInt64], errors: Int, paymentErrors: Int = 0) -> RunMetrics {
        var m = RunMetrics()
        for v in latencies { m.total.latency.record(micros: v) }
        m.total.requests = latencies.count
        m.total.errors = errors
        var payment = RequestStats()
        payment.requests = 1000
        payment.errors = paymentErrors
        m.byTag["payment"] = payment
        return m
    }

    @Test func theVerdictIsTheMostSevereBreachedAction() throws {
        let slow = Self.metrics(latencies: Array(repeating: 800_000, count: 100), errors: 0)
        var results = Objective.rolloutDefaults.map { $0.evaluate(slow, duration: 10) }
        #expect(Verdict(results) == Verdict(passed: false, action: .reduce))
        let failing = Self.metrics(latencies: Array(repeating: 800_000, count: 100), errors: 5, paymentErrors: 2)
        results = Objective.rolloutDefaults.map { $0.evaluate(failing, duration: 10) }
        #expect(Verdict(results) == Verdict(passed: false, action: .rollback))
        #expect(results.map(\.passed) == [false, false, false])
        #expect(results[0].value == 5 && results[2].value == 0.2)
        let fine = Self.metrics(latencies: Array(repeating: 20_000, count: 100), errors: 1, paymentErrors: 1)
        #expect(Verdict(Objective.rolloutDefaults.map { $0.evaluate(fine, duration: 10) }) == Verdict(passed: true, action: .proceed))
    }

    @Test func rateIsRequestsOverTheRunsDuration() throws {
        let result = try Objective(parsing: "rate>=10").evaluate(Self.metrics(latencies: Array(repeating: 1000, count: 100), errors: 0), duration: 10)
        #expect(result.value == 10 && result.passed)
    }
}

/// A payment the load generator gave up on has an unknown outcome: an error, never a payment failure.
@Suite struct PaymentOutcomeTests {
    static func metrics(payments: Int, failed: Int, unanswered: Int) -> RunMetrics {
        var metrics = RunMetrics()
        var stats = RequestStats()
        stats.requests = payments
        stats.errors = failed + unanswered
        stats.unanswered = unanswered
        metrics.byTag["payment"] = stats
        metrics.total = stats
        return metrics
    }

    @Test func timeoutsAreErrorsButNotPaymentFailures() throws {
        // 28 checkouts, 5 of which the client gave up on (the demo's busy-machine stage 25).
        let metrics = Self.metrics(payments: 28, failed: 0, unanswered: 5)
        let payments = try Objective(parsing: "payment_failure_rate<=0.1%:rollback").evaluate(metrics, duration: 8)
        #expect(payments.passed && payments.value == 0, "\(payments)")
        let errors = try Objective(parsing: "error_rate<=1%:rollback").evaluate(metrics, duration: 8)
        #expect(!errors.passed && abs(errors.value - 500.0 / 28) < 1e-9)
    }

    @Test func answeredFailuresCountAgainstAnsweredPayments() throws {
        // 3 declined-by-failure answers among 100 answered, 20 more unanswered: 3 %, not 2.5 %.
        let metrics = Self.metrics(payments: 120, failed: 3, unanswered: 20)
        let payments = try Objective(parsing: "payment_failure_rate<=0.1%:rollback").evaluate(metrics, duration: 8)
        #expect(!payments.passed && abs(payments.value - 3) < 1e-9 && payments.action == .rollback)
    }

    @Test func paymentsNoneOfWhichWereAnsweredAreInconclusive() throws {
        let payments = try Objective(parsing: "payment_failure_rate<=0.1%").evaluate(Self.metrics(payments: 4, failed: 0, unanswered: 4), duration: 8)
        #expect(!payments.passed && payments.inconclusive == "none of the 4 requests tagged 'payment' was answered: every outcome is unknown")
    }

    @Test func unansweredCountsSurviveAMergeAndAFile() throws {
        var merged = Self.metrics(payments: 10, failed: 1, unanswered: 2)
        merged.merge(Self.metrics(payments: 5, failed: 0, unanswered: 3))
        #expect(merged.byTag["payment"]?.unanswered == 5 && merged.byTag["payment"]?.answered == 10)
        let decoded = try JSONDecoder().decode(RequestStats.self, from: JSONEncoder().encode(merged.byTag["payment"]!))
        #expect(decoded.unanswered == 5)
        var bad = merged.byTag["payment"]!
        bad.unanswered = bad.errors + 1
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RequestStats.self, from: JSONEncoder().encode(bad)) }
    }
}

/// Objectives with nothing to judge are inconclusive: not passed, and a pause.
@Suite struct InconclusiveObjectiveTests {
    @Test func zeroRequestsPassNothing() throws {
        let nothing = RunMetrics()
        for expression in ["error_rate<1%", "p95<500ms", "checks>99%", "rate<1000", "dropped_iterations<=0"] {
            let result = try Objective(parsing: expression).evaluate(nothing, duration: 3)
            #expect(!result.passed && result.inconclusive == "no requests were made" && result.action == .pause, "\(expression)")
        }
        #expect(Verdict(try ["error_rate<1%"].map { try Objective(parsing: $0).evaluate(nothing, duration: 3) }) == Verdict(passed: false, action: .pause))
    }

    @Test func aSelectionThatMatchesNothingIsInconclusive() throws {
        var metrics = RunMetrics()
        metrics.total.requests = 100
        metrics.total.errors = 100
        metrics.byName["list"] = metrics.total
        let tagged = try Objective(parsing: "error_rate{tag=paymnt}<0.1%").evaluate(metrics, duration: 1)
        #expect(!tagged.passed && tagged.inconclusive == "no requests tagged 'paymnt' were made")
        let named = try Objective(parsing: "p95{name=place-order}<1us").evaluate(metrics, duration: 1)
        #expect(!named.passed && named.inconclusive != nil)
        let payments = try Objective(parsing: "payment_failure_rate<0.1%").evaluate(metrics, duration: 1)
        #expect(payments.inconclusive == "no requests tagged 'payment' were made")
        let checks = try Objective(parsing: "checks>99%").evaluate(metrics, duration: 1)
        #expect(checks.inconclusive == "no checks ran")
        // A breach outranks the pause an inconclusive objective asks for.
        let all = try ["error_rate<1%:rollback", "error_rate{tag=paymnt}<1%"].map { try Objective(parsing: $0).evaluate(metrics, duration: 1) }
        #expect(Verdict(all) == Verdict(passed: false, action: .rollback))
    }

    @Test func aGateTriggerWithoutDataPauses() {
        let trigger = GateTrigger(name: "service errors", value: 0, threshold: 1, unit: "%", breached: false, action: .rollback,
                                  evidence: "0 of 0 requests", inconclusive: "no requests were counted")
        #expect(trigger.demand == .pause && !trigger.breached)
        #expect(GateVerdict(stage: 25, triggers: [trigger]).action == .pause)
    }
}

/// Memory stays bounded however many request names a profile or a result has.
@Suite struct GroupCapTests {
    @Test func namesPastTheCapCountTogether() {
        var merged = RunMetrics()
        for n in 0..<300 {
            var one = RunMetrics()
            one.byName["step \(n)"] = RequestStats()
            one.byName["step \(n)"]?.requests = 1
            merged.merge(one)
        }
        #expect(merged.byName.count == RunMetrics.maximumGroups + 1)
        #expect(merged.byName[RunMetrics.otherGroup]?.requests == 300 - RunMetrics.maximumGroups)
        #expect(merged.byName.values.reduce(0) { $0 + $1.requests } == 300, "no request is lost")
    }
}
