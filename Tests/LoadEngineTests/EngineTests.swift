import ContractCore
import Foundation
import LoadEngine
import LoadMetrics
import SLO
import Steps
import Synchronization
import Testing
import TestSupport

/// The engine over real sockets against a local server.
@Suite struct EngineTests {
    static func run(_ profile: LoadProfile, target: TestTarget, shard: Shard = .whole, loops: Int = 2) async throws -> RunOutcome {
        var options = RunOptions()
        options.shard = shard
        options.eventLoops = loops
        return try await LoadRun(profile: profile, target: target.target, options: options).run()
    }

    static func openProfile(rate: Double, duration: String, path: String, maxVUs: Int = 100, extra: String = "") -> String {
        """
        scenarios:
          open:
            executor: constant-arrival-rate
            rate: \(rate)
            duration: \(duration)
            max_vus: \(maxVUs)
            steps:
              - path: \(path)
        \(extra)
        """
    }

    @Test func theOpenModelHoldsItsRate() async throws {
        try await withTarget { target in
            let outcome = try await Self.run(try profile(Self.openProfile(rate: 200, duration: "2s", path: "/fast", maxVUs: 400), target: target), target: target)
            #expect(outcome.metrics.total.requests == 400)
            #expect(outcome.metrics.iterations == 400)
            #expect(outcome.metrics.droppedIterations == 0)
            #expect(outcome.metrics.total.errors == 0)
            #expect(outcome.metrics.total.statuses == ["200": 400])
            #expect(target.answered.load(ordering: .relaxed) == 400)
            #expect(outcome.metrics.schedulerLateness.count == 400)
            #expect(outcome.metrics.timeSeries.points.reduce(0) { $0 + $1.requests } == 400)
            #expect(outcome.metrics.timeSeries.points.first?.targetRate == 200)
            #expect(outcome.metrics.timeSeries.points.reduce(0) { $0 + $1.iterations } == 400)
        }
    }

    @Test func iterationsThatFindEveryUserBusyAreDroppedNotDelayed() async throws {
        try await withTarget { target in
            // /slow takes 200 ms: 5 users can start at most ~25 of the 100 iterations due in 1 s.
            let outcome = try await Self.run(try profile(Self.openProfile(rate: 100, duration: "1s", path: "/slow", maxVUs: 5), target: target), target: target)
            #expect(outcome.metrics.droppedIterations >= 60, "\(outcome.metrics.droppedIterations)")
            #expect(outcome.metrics.iterations + outcome.metrics.droppedIterations == 100)
            #expect(outcome.metrics.total.requests == outcome.metrics.iterations)
        }
    }

    @Test func correctedLatencyShowsAStallTheRawLatencyNeedNot() async throws {
        try await withTarget { target in
            // 100/s for 10 s; the target holds every request for the one second from 4 s to 5 s.
            target.stall.withLock { $0 = 4...5 }
            let outcome = try await Self.run(try profile(Self.openProfile(rate: 100, duration: "10s", path: "/stall", maxVUs: 300), target: target), target: target)
            let corrected = outcome.metrics.total.latency.milliseconds(atPercentile: 99)
            let raw = outcome.metrics.total.rawLatency.milliseconds(atPercentile: 99)
            #expect(outcome.metrics.iterations + outcome.metrics.droppedIterations == 1000)
            #expect(outcome.metrics.total.requests >= 950)
            #expect(corrected >= 300, "corrected p99 \(corrected) ms")
            #expect(raw <= corrected)
            // Nine seconds of ten were not stalled: the median stays far below the stall.
            #expect(outcome.metrics.total.latency.milliseconds(atPercentile: 50) < corrected / 2)
        }
    }

    @Test func stepsCaptureAndCheckWhatTheyGet() async throws {
        try await withTarget { target in
            let yaml = """
                scenarios:
                  closed:
                    executor: per-vu-iterations
                    vus: 2
                    iterations: 5
                    steps:
                      - name: fast
                        path: /fast
                        tags: [catalog]
                        capture: {id: $.id}
                        check: {status: 200, json: {$.status: ok}, headers: {Content-Type: {matches: json}}}
                      - name: item
                        path: /items/${id}
                        check: {json: {$.id: "7"}, latency: 5s}
                      - name: declined
                        path: /status/402
                        tags: [payment]
                        check: {status: 402}
                """
            let outcome = try await Self.run(try profile(yaml, target: target), target: target)
            let m = outcome.metrics
            #expect(m.iterations == 10)
            #expect(m.total.requests == 30)
            #expect(m.total.errors == 0, "\(m.errors)")
            #expect(m.checks.values.allSatisfy { $0.failed == 0 } && m.checks.values.reduce(0) { $0 + $1.passed } == 60)
            #expect(m.byName["item"]?.requests == 10)
            #expect(m.byTag["catalog"]?.requests == 10)
            #expect(try Objective(parsing: "payment_failure_rate<0.1%").evaluate(m, duration: outcome.duration).passed,
                    "an expected, checked decline is not a payment failure")
        }
    }

    @Test func failuresAreClassified() async throws {
        try await withTarget { target in
            let yaml = """
                scenarios:
                  failing:
                    executor: per-vu-iterations
                    vus: 1
                    iterations: 2
                    steps:
                      - {name: unavailable, path: /status/503}
                      - {name: missing, path: /status/404}
                      - {name: wrong, path: /fast, check: {json: {$.status: nope}}}
                      - {name: slow, path: /slow, timeout: 50ms}
                """
            let m = try await Self.run(try profile(yaml, target: target), target: target).metrics
            #expect(m.errors[.status5xx]?.count == 2)
            #expect(m.errors[.status4xx]?.count == 2)
            #expect(m.errors[.checkFailed]?.count == 2)
            #expect(m.errors[.timeout]?.count == 2)
            #expect(m.errors[.checkFailed]?.examples.first?.contains("found \"ok\", expected \"nope\"") == true, "\(m.errors)")
            #expect(m.total.errorRate == 1)
        }
    }

    @Test func anObjectiveThatStaysBreachedAbortsTheRun() async throws {
        try await withTarget { target in
            let yaml = Self.openProfile(rate: 50, duration: "120s", path: "/status/500", extra: """
                slos:
                  - {expression: "error_rate<1%", abort_on_fail: true, abort_after: 1s}
                """)
            let outcome = try await Self.run(try profile(yaml, target: target), target: target)
            #expect(outcome.abortedBecause?.contains("error_rate<1%:rollback stayed breached") == true, "\(outcome.abortedBecause ?? "not aborted")")
            #expect(outcome.duration < 60, "stopped long before its 120 s")
        }
    }

    @Test func stoppingEndsTheRunWithWhatFinished() async throws {
        try await withTarget { target in
            let run = LoadRun(profile: try profile(Self.openProfile(rate: 100, duration: "30s", path: "/fast"), target: target), target: target.target)
            // Stop once the run is well under way (the target has answered 50 requests).
            let stopper = Task {
                let underWay = await eventually(timeout: 20, interval: .milliseconds(10)) { target.answered.load(ordering: .relaxed) >= 50 }
                run.stop(because: "interrupted")
                return underWay
            }
            let outcome = try await run.run()
            #expect(await stopper.value, "the run got under way")
            #expect(outcome.abortedBecause == "interrupted")
            #expect(outcome.duration < 25, "stopped long before its 30 s")
            #expect(outcome.metrics.total.requests >= 50)
            #expect(outcome.metrics.total.requests == target.answered.load(ordering: .relaxed))
        }
    }

    /// Shards that agreed on a start begin their schedules at it: the loops, the target's probe and
    /// the scenarios are made before it, not after.
    @Test func theScheduleBeginsAtTheAgreedInstant() async throws {
        try await withTarget { target in
            var options = RunOptions()
            options.eventLoops = 2
            let startAt = Date().addingTimeInterval(1.5)
            options.startAt = startAt
            let outcome = try await LoadRun(profile: try profile(Self.openProfile(rate: 50, duration: "1s", path: "/fast"), target: target), target: target.target,
                                            options: options).run()
            let late = outcome.startedAt.timeIntervalSince(startAt)
            #expect(late >= 0 && late < 0.25, "began \(late) s after the agreed instant")
            #expect(outcome.metrics.total.requests == 50)
        }
    }

    @Test func aStopBeforeTheAgreedInstantEndsTheRunUnstarted() async throws {
        try await withTarget { target in
            var options = RunOptions()
            options.startAt = Date().addingTimeInterval(30)
            let run = LoadRun(profile: try profile(Self.openProfile(rate: 50, duration: "5s", path: "/fast"), target: target), target: target.target, options: options)
            // Stopped once the run has probed the target: it is then waiting for the instant.
            let stopper = Task {
                let probed = await eventually(timeout: 20, interval: .milliseconds(10)) { target.connections.load(ordering: .relaxed) >= 1 }
                run.stop(because: "interrupted")
                return probed
            }
            let began = Date()
            let outcome = try await run.run()
            #expect(await stopper.value, "the run probed the target")
            #expect(Date().timeIntervalSince(began) < 10, "the stop ended the wait for the start")
            #expect(outcome.abortedBecause == "interrupted")
            #expect(outcome.metrics.total.requests == 0)
        }
    }

    @Test func shardsAddUpToTheWholeRun() async throws {
        try await withTarget { target in
            let yaml = Self.openProfile(rate: 100, duration: "2s", path: "/fast", maxVUs: 400)
            let whole = try await Self.run(try profile(yaml, target: target), target: target).metrics
            async let first = Self.run(try profile(yaml, target: target), target: target, shard: Shard(index: 0, count: 2))
            async let second = Self.run(try profile(yaml, target: target), target: target, shard: Shard(index: 1, count: 2))
            var merged = try await first.metrics
            merged.merge(try await second.metrics)
            #expect(merged.total.requests == whole.total.requests)
            #expect(merged.iterations == whole.iterations)
            #expect(merged.total.statuses == whole.total.statuses)
            #expect(merged.total.latency.count == whole.total.latency.count)
        }
    }

    @Test func anUnreachableTargetIsAClearError() async throws {
        let profile = try ProfileLoader.parse(Self.openProfile(rate: 10, duration: "1s", path: "/"), file: "p.yaml")
        await #expect(throws: TargetUnreachable.self) {
            _ = try await LoadRun(profile: profile, target: TargetURL("http://127.0.0.1:9")!).run()
        }
    }

    /// An `https://` target that speaks plain HTTP, or accepts and never answers: exit-2 errors
    /// naming the TLS reason, never a hang.
    @Test func aTargetThatCannotSpeakTLSIsAClearError() async throws {
        let profile = try ProfileLoader.parse(Self.openProfile(rate: 10, duration: "1s", path: "/"), file: "p.yaml")
        try await withTarget { target in
            do {
                _ = try await LoadRun(profile: profile, target: TargetURL(target.url.replacingOccurrences(of: "http://", with: "https://"))!).run()
                Issue.record("the run started")
            } catch let error as TargetUnreachable {
                #expect(error.reason.hasPrefix("TLS "), "\(error)")
            }
        }
        // A listening socket nobody accepts from: the kernel completes TCP, nothing answers the ClientHello.
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, length) } }
        _ = listen(silent, 16)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(silent, $0, &length) } }
        let started = Date()
        do {
            _ = try await LoadRun(profile: profile, target: TargetURL("https://127.0.0.1:\(UInt16(bigEndian: address.sin_port))")!).run()
            Issue.record("the run started")
        } catch let error as TargetUnreachable {
            #expect(error.reason.contains("TLS handshake timeout"), "\(error)")
        }
        #expect(Date().timeIntervalSince(started) < 8, "the probe's 5 s limit holds for the handshake too")
    }

    @Test func targetURLsAreReadStrictly() {
        #expect(TargetURL("http://127.0.0.1:8000/base/")?.basePath == "/base")
        #expect(TargetURL("http://[::1]:81")?.hostHeader == "[::1]:81")
        let secure = TargetURL("https://shop.example.com/api")
        #expect(secure?.usesTLS == true && secure?.port == 443 && secure?.hostHeader == "shop.example.com")
        #expect(secure?.description == "https://shop.example.com/api")
        #expect(TargetURL("https://shop.example.com:8443")?.hostHeader == "shop.example.com:8443")
        #expect(TargetURL("http://shop.example.com:443")?.hostHeader == "shop.example.com:443")
        for bad in ["https://", "http://", "http://user:pw@host", "http://host:99999", "http://host/a?b", "ftp://x"] {
            #expect(TargetURL(bad) == nil, "\(bad)")
        }
    }

    /// A check whose regular expression takes long runs off the event loop: the other users'
    /// requests are answered and measured as before, not charged with the stall.
    /// A step after an event expectation is due when the event came in: the wait for the event
    /// is not counted in its latency (nor in the next iteration's first request).
    @Test func aStepAfterAnEventIsTimedFromTheEvent() async throws {
        /// Answers every expectation with an event 300 ms later.
        struct LateEvents: EventSource {
            func expect(topic: String, matching expected: [(path: PathExpression, value: JSONValue)], within timeout: Double,
                        then: @escaping @Sendable (JSONValue?, Int) -> Void) {
                Task {
                    try? await Task.sleep(for: .milliseconds(300))
                    then(.object(JSONObject([("ok", .bool(true))])), 1)
                }
            }
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-events-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
            name: ordered
            steps:
              - {name: before, path: /fast}
              - expect_event: {name: done, topic: orders, match: {$.ok: true}, within: 5s}
              - {name: after, path: /fast}
            """.write(to: folder.appendingPathComponent("flow.yaml"), atomically: true, encoding: .utf8)
        try """
            scenarios:
              buyers:
                executor: per-vu-iterations
                vus: 1
                iterations: 4
                flow: flow.yaml
            """.write(to: folder.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8)
        try await withTarget { target in
            var loaded = try ProfileLoader.load(file: folder.appendingPathComponent("profile.yaml").path, environment: [:])
            loaded.target = target.url
            var options = RunOptions()
            options.events = LateEvents()
            let outcome = try await LoadRun(profile: loaded, target: target.target, options: options).run()
            #expect(outcome.metrics.checks["event done"]?.passed == 4)
            for name in ["before", "after"] {
                let latency = try #require(outcome.metrics.byName[name]).latency
                #expect(latency.count == 4 && latency.maxMilliseconds < 200, "\(name): corrected max \(latency.maxMilliseconds) ms")
            }
        }
    }

    @Test func aSlowPatternCheckDoesNotStallTheLoop() async throws {
        try await withTarget { target in
            let profile = try profile("""
                scenarios:
                  patterns:
                    executor: constant-arrival-rate
                    rate: 2
                    duration: 2s
                    steps: [{name: pattern, path: /redos, check: {json: {$.text: {matches: "^(a|aa)+$"}}}}]
                  shoppers:
                    executor: constant-arrival-rate
                    rate: 50
                    duration: 2s
                    steps: [{name: fast, path: /fast}]
                slos: ["p99{name=fast}<10s"]
                """, target: target)
            var options = RunOptions()
            options.eventLoops = 1
            let outcome = try await LoadRun(profile: profile, target: target.target, options: options).run()
            let fast = try #require(outcome.metrics.byName["fast"])
            #expect(fast.requests >= 90 && fast.errors == 0)
            #expect(fast.latency.milliseconds(atPercentile: 99) < 500, "the fast requests waited for the pattern checks: p99 \(fast.latency.milliseconds(atPercentile: 99)) ms")
            #expect(outcome.metrics.byName["pattern"]?.errors == outcome.metrics.byName["pattern"]?.requests, "the pattern does not match")
        }
    }
}
