import Gate
import SLO
import Steps
import Testing

struct PrometheusCountersTests {
    static let before = """
        # HELP http_requests_total Requests handled, by method, route and status.
        # TYPE http_requests_total counter
        http_requests_total{service="payment-provider",method="POST",route="/v1/payment_intents",status="201"} 90
        http_requests_total{service="payment-provider",method="POST",route="/v1/payment_intents",status="500"} 2
        http_requests_total{service="payment-provider",method="POST",route="/v1/refunds",status="500"} 7
        http_request_duration_seconds_bucket{service="payment-provider",route="/v1/payment_intents",le="0.1"} 92
        """
    static let after = """
        http_requests_total{service="payment-provider",method="POST",route="/v1/payment_intents",status="201"} 480
        http_requests_total{service="payment-provider",method="POST",route="/v1/payment_intents",status="500"} 12
        http_requests_total{service="payment-provider",method="POST",route="/v1/payment_intents",status="402"} 8
        http_requests_total{service="payment-provider",method="POST",route="/v1/refunds",status="500"} 70
        """

    @Test func samplesAreReadWithTheirLabels() {
        let samples = PrometheusText.samples(Self.before)
        #expect(samples.count == 4)
        #expect(samples[1] == PrometheusSample(name: "http_requests_total", labels: ["service": "payment-provider", "method": "POST",
                                                                                  "route": "/v1/payment_intents", "status": "500"], value: 2))
        let escaped = PrometheusText.samples(#"m{path="/a \"b\" \\ c",x="1"} 3.5 1700000000"#)
        #expect(escaped == [PrometheusSample(name: "m", labels: ["path": #"/a "b" \ c"#, "x": "1"], value: 3.5)])
        #expect(PrometheusText.samples("broken{a=\"1\" 2\nplain 7\n").map(\.name) == ["plain"])
    }

    @Test func theErrorRateIsTheShareOfErrorsBetweenScrapes() {
        let rate = CounterErrorRate(counter: "http_requests_total", labels: ["route": "/v1/payment_intents"], errorLabel: "status", errorPrefix: "5")
        let delta = rate.delta(before: PrometheusText.samples(Self.before), after: PrometheusText.samples(Self.after))
        #expect(delta.total == 408 && delta.errors == 10)
        #expect(abs(delta.percent - 10.0 / 408 * 100) < 1e-9)
        // A restarted service (counters went down) counts from zero.
        let restarted = rate.delta(before: PrometheusText.samples(Self.after), after: PrometheusText.samples(Self.before))
        #expect(restarted.total == 92 && restarted.errors == 2)
        #expect(rate.delta(before: [], after: []).percent == 0)
        #expect(rate.errorSelection == "status=5xx")
        #expect(CounterErrorRate(counter: "c", labels: [:], errorLabel: "status", errorPrefix: "50").errorSelection == "status=50x")
        #expect(CounterErrorRate(counter: "c", labels: [:], errorLabel: "outcome", errorPrefix: "fail").errorSelection == "outcome=fail…")
    }

    /// "Every route but /metrics" could not be said: exact label values only. PromQL's matchers now.
    @Test func selectorsTakePromQLMatchers() throws {
        let gate = try GateLoader.parse("""
            gateway: {url: "http://127.0.0.1:8000"}
            stages: {25: s.yaml}
            metrics:
              - {name: api errors, url: "http://127.0.0.1:9/metrics", counter: http_requests_total, selector: 'route!="/metrics", method=~"GET|POST"', errors: {status: 5xx}, threshold: 1}
            """, file: "g.yaml")
        let rate = try #require(gate.metrics.first).rate
        let samples = PrometheusText.samples("""
            http_requests_total{route="/metrics",method="GET",status="200"} 1000
            http_requests_total{route="/orders",method="POST",status="500"} 3
            http_requests_total{route="/orders",method="POST",status="201"} 97
            http_requests_total{route="/orders",method="DELETE",status="500"} 50
            """)
        let totals = rate.totals(samples)
        #expect(totals.total == 100 && totals.errors == 3, "\(totals)")
        for bad in ["route~=\"x\"", "route=x", "=\"x\"", "route=~\"(\""] {
            #expect(throws: FileProblems.self) {
                _ = try GateLoader.parse("gateway: {url: \"http://127.0.0.1:8000\"}\nstages: {25: s.yaml}\nmetrics:\n  - {url: \"http://127.0.0.1:9/metrics\", selector: '\(bad)', threshold: 1}\n", file: "g.yaml")
            }
        }
    }
}
