import ContractCore
import Foundation
import Gate
import SLO
import Steps
import Testing

/// PromQL triggers without a server: the gate file's entries, Prometheus' answers, and the
/// Argo-style judgement of measurements.
@Suite struct PrometheusQueryTests {
    static let header = """
        gateway: {url: "http://127.0.0.1:8000", admin_token: t}
        stages: {25: stage.yaml}
        prometheus: {url: "http://127.0.0.1:9090", bearer_token_env: PROM_TOKEN}

        """

    @Test func queryEntriesReadWithTheirConditionSamplingAndServer() throws {
        let gate = try GateLoader.parse(Self.header + """
            metrics:
              - name: error rate
                query: sum(rate(http_requests_total{status=~"5.."}[${window}])) / sum(rate(http_requests_total[${window}]))
                threshold: 0.01
                comparison: "<"
                interval: 5s
                count: 4
                failure_limit: 1
                action: rollback
              - name: orders
                prometheus: http://prom.internal:9090
                query: sum(increase(orders_created_total[${window}]))
                success_condition: result >= 10
                action: pause
              - name: provider
                url: http://127.0.0.1:3005/metrics
                threshold: 0.1
            """, file: "gate.yaml")
        #expect(gate.metrics.map(\.name) == ["provider"], "a counter entry stays a counter entry")
        #expect(gate.queries.count == 2)
        let errors = gate.queries[0]
        #expect(errors.prometheus == "http://127.0.0.1:9090" && errors.credentials.bearerTokenVariable == "PROM_TOKEN")
        #expect(errors.comparison == .below && errors.threshold == 0.01 && errors.interval == 5 && errors.count == 4 && errors.failureLimit == 1)
        #expect(errors.condition == "result < 0.01")
        #expect(errors.filled(window: 19.2, stage: 25) == #"sum(rate(http_requests_total{status=~"5.."}[20s])) / sum(rate(http_requests_total[20s]))"#)
        #expect(errors.rangeStep == nil)
        let orders = gate.queries[1]
        #expect(orders.prometheus == "http://prom.internal:9090" && orders.credentials == PrometheusCredentials(), "its own server, without the gate-wide credential")
        #expect(orders.comparison == .atLeast && orders.threshold == 10 && orders.interval == nil && orders.count == 1 && orders.action == .pause)
    }

    @Test func theShippedPrometheusGateReadsWithTheGuidesFourTriggers() throws {
        let file = GateLoaderTests.root.appendingPathComponent("loadprofiles/gate-prometheus.yaml").path
        let gate = try GateLoader.load(file: file, environment: ["PROMETHEUS_URL": "http://prom:9090"])
        #expect(gate.queries.map(\.name) == ["error rate", "order p95", "payment provider failures", "traffic split"])
        #expect(gate.queries.allSatisfy { $0.prometheus == "http://prom:9090" && $0.credentials.bearerTokenVariable == "PROMETHEUS_TOKEN" })
        #expect(gate.queries.map(\.action) == [.rollback, .reduce, .rollback, .pause])
        #expect(gate.objectives.isEmpty && gate.metrics.isEmpty)
        #expect(gate.queries[3].filled(window: 20, stage: 25).hasSuffix("[20s])) - (100 - 25) / 100)"))
        for path in gate.stages.values { #expect(FileManager.default.fileExists(atPath: path), "\(path)") }
    }

    @Test func brokenQueryEntriesAreEachNamed() {
        let text = """
            gateway: {url: "http://127.0.0.1:8000", admin_token: t}
            stages: {25: stage.yaml}
            metrics:
              - query: up
                threshold: 1
              - prometheus: ftp://x
                query: up
                success_condition: value < 2
              - prometheus: http://p:9090
                query: up
                threshold: 1
                comparison: "=="
                count: 3
              - prometheus: {url: "http://p:9090", username_env: U}
                query: ""
              - prometheus: http://admin:s3cret@p:9090
                query: up
                threshold: 1
              - prometheus: http://p:9090
                query: up
                threshold: 1
                range_step: 5s
                interval: 5s
            """
        do {
            _ = try GateLoader.parse(text, file: "gate.yaml")
            Issue.record("accepted")
        } catch let error as FileProblems {
            let all = error.description
            for expected in ["metrics[0].prometheus: no Prometheus to ask", "metrics[1].prometheus: needs the Prometheus server's http(s):// URL",
                             "metrics[1].success_condition: write it as 'result OP NUMBER'", "metrics[2].comparison: one of <, <=, >, >=",
                             "metrics[2].count: several measurements need an interval", "metrics[3].prometheus: basic auth needs both",
                             "metrics[3].query: an empty query", "metrics[4].prometheus: holds a credential",
                             "metrics[5].range_step: a series over the whole load (query_range) is measured once"] {
                #expect(all.contains(expected), "\(expected) in:\n\(all)")
            }
            #expect(!all.contains("s3cret"), "a credential in a refused URL is not echoed")
        } catch {
            Issue.record("\(error)")
        }
    }

    static func answer(_ json: String, status: Int = 200) -> (value: Double?, problem: String?) {
        PrometheusAnswer.value(of: Array(json.utf8), status: status)
    }

    @Test func oneSeriesOrAScalarIsAValueAndAnythingElseSaysWhyNot() {
        #expect(Self.answer(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.1,"0.025"]}]}}"#).value == 0.025)
        #expect(Self.answer(#"{"status":"success","data":{"resultType":"scalar","result":[1700000000.1,"3"]}}"#).value == 3)
        let none = Self.answer(#"{"status":"success","data":{"resultType":"vector","result":[]}}"#)
        #expect(none.value == nil && none.problem == "the query returned no series")
        let two = Self.answer(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"service":"a"},"value":[1,"1"]},{"metric":{"service":"b"},"value":[1,"2"]}]}}"#)
        #expect(two.value == nil && two.problem?.contains("2 series where one was expected ({service=a}, {service=b}") == true, "\(two)")
        let nan = Self.answer(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}"#)
        #expect(nan.value == nil && nan.problem?.contains("NaN") == true)
        let range = Self.answer(#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#)
        #expect(range.value == nil && range.problem?.contains("matrix") == true)
        let bad = Self.answer(#"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected <EOF>"}"#, status: 400)
        #expect(bad.value == nil && bad.problem == "Prometheus answered 400, bad_data: 1:5: parse error: unexpected <EOF>")
        #expect(Self.answer("<html>gateway timeout</html>", status: 504).problem?.contains("504 with no JSON") == true)
    }

    @Test func aRangeAnswerIsTheOneSeriesPoints() {
        let one = PrometheusAnswer.series(of: Array(#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"0.1"],[1700000005,"NaN"],[1700000010,"0.3"]]}]}}"#.utf8), status: 200)
        #expect(one.problem == nil && one.points.map(\.time) == [1700000000, 1700000005, 1700000010])
        #expect(one.points.map(\.value) == [0.1, nil, 0.3], "a NaN point has no value")
        let two = PrometheusAnswer.series(of: Array(#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[]},{"metric":{"a":"2"},"values":[]}]}}"#.utf8), status: 200)
        #expect(two.points.isEmpty && two.problem?.contains("2 series where one was expected") == true)
        let none = PrometheusAnswer.series(of: Array(#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#.utf8), status: 200)
        #expect(none.problem == "the query returned no series")
    }

    static let check = QueryCheck(name: "error rate", prometheus: "http://p:9090", query: "q", comparison: .below, threshold: 0.01, interval: 5, count: 4,
                                  failureLimit: 1, inconclusiveLimit: 0, action: .rollback, credentials: PrometheusCredentials())

    static func measured(_ values: [Double?]) -> [QueryMeasurement] {
        values.enumerated().map { QueryMeasurement(at: Double($0.offset + 1) * 5, value: $0.element, problem: $0.element == nil ? "the query returned no series" : nil) }
    }

    @Test func failuresOverTheLimitBreachAndMissingValuesNeverPass() {
        let healthy = Self.check.judge(Self.measured([0.001, 0.002, 0.02, 0.003]), filledQuery: "q")
        #expect(!healthy.breached && healthy.inconclusiveReason == nil && healthy.failed == 1, "one failure is within failure_limit 1")
        #expect(healthy.value == 0.02, "the worst value is shown")
        #expect(healthy.evidence.contains("q at http://p:9090: result < 0.01") && healthy.evidence.contains("15s 0.02 ✗"), "\(healthy.evidence)")

        let failing = Self.check.judge(Self.measured([0.02, 0.002, 0.03, nil]), filledQuery: "q")
        #expect(failing.breached && failing.inconclusiveReason == nil)
        #expect(GateTrigger(name: "e", value: failing.value, threshold: 0.01, unit: "", breached: failing.breached, action: .rollback, evidence: "",
                            inconclusive: failing.inconclusiveReason).demand == .rollback)

        let missing = Self.check.judge(Self.measured([0.001, nil, nil, 0.001]), filledQuery: "q")
        #expect(!missing.breached && missing.inconclusiveReason?.contains("2 of 4 measurement(s) had no value (limit 0): the query returned no series") == true)
        let trigger = GateTrigger(name: "e", value: 0, threshold: 0.01, unit: "", breached: missing.breached, action: .rollback, evidence: "",
                                  inconclusive: missing.inconclusiveReason)
        #expect(trigger.demand == .pause, "no data pauses the rollout, it never passes")

        #expect(Self.check.judge([], filledQuery: "q").inconclusiveReason == "no measurement was taken")
        var atLeast = Self.check
        atLeast.comparison = .atLeast
        atLeast.threshold = 10
        atLeast.failureLimit = 0
        let low = atLeast.judge(Self.measured([12, 9]), filledQuery: "q")
        #expect(low.breached && low.value == 9, "for >= the lowest value is the worst")
    }

    @Test func credentialsComeFromTheEnvironmentByName() {
        let bearer = PrometheusCredentials(bearerTokenVariable: "PROM_TOKEN")
        #expect(bearer.authorization(from: ["PROM_TOKEN": "s3cret"]) == "Bearer s3cret")
        #expect(bearer.authorization(from: [:]) == nil)
        let basic = PrometheusCredentials(usernameVariable: "U", passwordVariable: "P")
        #expect(basic.authorization(from: ["U": "u", "P": "p"]) == "Basic dTpw")
    }
}

/// The gate file's `rollout:` kinds, read.
@Suite struct RolloutSectionTests {
    static let header = """
        gateway: {url: "http://127.0.0.1:8000"}
        stages: {25: stage.yaml}

        """

    @Test func theKindsReadWithTheirRequestsAndCommands() throws {
        let http = try GateLoader.parse(Self.header + """
            rollout:
              kind: http
              scale: 1000
              set:
                method: patch
                url: https://app.launchdarkly.com/api/v2/flags/default/new-services
                headers: {Authorization: "${LD_API_TOKEN}", Content-Type: "application/json; domain-model=launchdarkly.semanticpatch"}
                body: '{"instructions": [{"kind": "updateFallthroughVariationOrRollout", "rolloutWeights": {"on": ${percent}}}]}'
              get:
                url: https://app.launchdarkly.com/api/v2/flags/default/new-services
                headers: {Authorization: "${LD_API_TOKEN}"}
                path: $.environments.production.fallthrough.rollout.variations[0].weight
            """, file: "gate.yaml", environment: ["LD_API_TOKEN": "api-123"])
        guard case .http(let spec) = http.rollout else { Issue.record("not an http rollout"); return }
        #expect(spec.setMethod == "PATCH" && spec.scale == 1000 && spec.setHeaders.first?.value == "api-123")
        #expect(spec.getPath.description == "$.environments.production.fallthrough.rollout.variations[0].weight")

        let command = try GateLoader.parse(Self.header + """
            rollout: {kind: command, set: [kubectl, argo, rollouts, set, weight, storefront, "${percent}"], get: [sh, -c, "kubectl get rollout storefront -o jsonpath={.status.currentStepIndex}"], timeout: 45s}
            """, file: "gate.yaml")
        guard case .command(let spec) = command.rollout else { Issue.record("not a command rollout"); return }
        #expect(spec.set.last == "${percent}" && spec.get.first == "sh" && spec.timeout == 45)

        guard case .gateway = try GateLoader.parse(Self.header, file: "gate.yaml").rollout else { Issue.record("the default is the bundled gateway"); return }
    }

    @Test func brokenRolloutSectionsAreEachNamed() {
        for (yaml, expected) in [
            ("rollout: {kind: flagsmith}", "rollout.kind: one of tollgate-gateway, http, command"),
            ("rollout: {kind: http, set: {url: \"ftp://x\"}, get: {url: \"http://x/flag\", path: \"nope\"}}", "rollout.set.url: needs an http(s):// URL"),
            ("rollout: {kind: http, set: {url: \"http://x/flag\"}}", "rollout.get: missing"),
            ("rollout: {kind: http, set: {url: \"http://x/flag\", method: DELETE}, get: {url: \"http://x/flag\", path: $.p}}", "rollout.set.method: PUT, PATCH or POST"),
            ("rollout: {kind: command, set: []}", "rollout.set: an empty command"),
            ("rollout: {kind: command, set: [x], get: [y], timeout: 1h}", "rollout.timeout: between 1s and 10m"),
            ("rollout: {kind: tollgate-gateway, set: [x]}", "rollout.set: the bundled gateway is moved through its own API"),
        ] {
            #expect(throws: FileProblems.self, "\(yaml)") { try GateLoader.parse(Self.header + yaml, file: "gate.yaml") }
            do { _ = try GateLoader.parse(Self.header + yaml, file: "gate.yaml") } catch {
                #expect("\(error)".contains(expected), "\(expected) in: \(error)")
            }
        }
    }
}
