package import Foundation
package import LoadMetrics
package import SLO
package import Steps

/// The result of a load run (or of merged shards): what ran, everything it measured, and
/// the objectives with their verdict. Schema `tollgate.load/v1`, documented in reports/README.md.
package struct LoadResult: Sendable {
    package static let schema = "tollgate.load/v1"

    package struct Scenario: Sendable, Codable, Equatable {
        package var name: String
        package var executor: String
        /// "open" or "closed".
        package var model: String
        package var startSeconds: Double
        package var durationSeconds: Double

        package init(name: String, executor: String, model: String, startSeconds: Double, durationSeconds: Double) {
            self.name = name
            self.executor = executor
            self.model = model
            self.startSeconds = startSeconds
            self.durationSeconds = durationSeconds
        }

        enum CodingKeys: String, CodingKey { case name, executor, model, startSeconds = "start_s", durationSeconds = "duration_s" }
    }

    /// What ran, where, when, and by whom.
    package struct Run: Sendable, Codable, Equatable {
        package var profile: String
        package var profileSource: String?
        package var target: String
        package var startedAt: Date
        package var endedAt: Date
        package var durationSeconds: Double
        package var tollgateVersion: String
        package var host: String
        /// `i/N`; "merged" lists the shards a merge was made from.
        package var shard: String
        package var mergedFrom: [String]
        package var scenarios: [Scenario]
        package var aborted: Bool
        package var abortedBecause: String?
        /// A merge of shards where some never reported (`3/3`): its figures are of the others only.
        package var missingShards: [String]?
        /// The run the shards share (`RunOptions.runID`), if it has one.
        package var runID: String?
        /// The profile's digest (`LoadProfile.digest`): shards of one run have the same.
        package var profileDigest: String?
        /// Over HTTPS: how certificates were checked ("certificate verification OFF" when they were not).
        package var tls: String?

        package init(profile: String, profileSource: String?, target: String, startedAt: Date, endedAt: Date, durationSeconds: Double,
                    tollgateVersion: String, host: String, shard: String, mergedFrom: [String] = [], scenarios: [Scenario],
                    aborted: Bool, abortedBecause: String?) {
            self.profile = profile
            self.profileSource = profileSource
            self.target = target
            self.startedAt = startedAt
            self.endedAt = endedAt
            self.durationSeconds = durationSeconds
            self.tollgateVersion = tollgateVersion
            self.host = host
            self.shard = shard
            self.mergedFrom = mergedFrom
            self.scenarios = scenarios
            self.aborted = aborted
            self.abortedBecause = abortedBecause
        }

        enum CodingKeys: String, CodingKey {
            case profile, profileSource = "profile_source", target, startedAt = "started_at", endedAt = "ended_at", durationSeconds = "duration_s"
            case tollgateVersion = "tollgate_version", host, shard, mergedFrom = "merged_from", scenarios, aborted, abortedBecause = "aborted_because"
            case missingShards = "missing_shards", runID = "run_id", profileDigest = "profile_digest", tls
        }

        /// True when any scenario is closed-model (its latency hides coordinated omission).
        package var hasClosedModel: Bool { scenarios.contains { $0.model == "closed" } }
    }

    package var run: Run
    package var objectives: [Objective]
    package var metrics: RunMetrics

    package init(run: Run, objectives: [Objective], metrics: RunMetrics) {
        self.run = run
        self.objectives = objectives
        self.metrics = metrics
    }

    /// Each objective with its value on these figures.
    package var slos: [SLOResult] { objectives.map { $0.evaluate(metrics, duration: run.durationSeconds) } }

    package var verdict: Verdict { Verdict(slos, aborted: run.aborted) }

    /// Shards of one run merged: histograms and counters add, time series align by second,
    /// and the objectives of the first are evaluated again on the sums.
    package static func merged(_ results: [LoadResult]) -> LoadResult? {
        guard var merged = results.first else { return nil }
        guard results.count > 1 else { return merged }
        for other in results.dropFirst() { merged.metrics.merge(other.metrics) }
        merged.run.startedAt = results.map(\.run.startedAt).min() ?? merged.run.startedAt
        merged.run.endedAt = results.map(\.run.endedAt).max() ?? merged.run.endedAt
        merged.run.durationSeconds = results.map(\.run.durationSeconds).max() ?? merged.run.durationSeconds
        merged.run.mergedFrom = results.map { "\($0.run.shard)@\($0.run.host)" }
        merged.run.shard = "merged"
        merged.run.aborted = results.contains { $0.run.aborted }
        merged.run.abortedBecause = results.compactMap(\.run.abortedBecause).first
        return merged
    }
}

/// The figures of one group of requests as reports show them.
package struct GroupSummary: Sendable, Encodable {
    package let requests: Int
    package let errors: Int
    /// Errors with no response at all: their outcome on the server is unknown.
    package let unanswered: Int
    package let errorRatePercent: Double
    package let ratePerSecond: Double
    package let latency: Percentiles
    package let rawLatency: Percentiles
    package let statuses: [String: Int]
    /// TLS handshakes of the connections these requests opened; nil over plain HTTP.
    package let tlsHandshake: Percentiles?

    package init(_ stats: RequestStats, duration: Double) {
        requests = stats.requests
        errors = stats.errors
        unanswered = stats.unanswered
        errorRatePercent = stats.errorRate * 100
        ratePerSecond = duration > 0 ? Double(stats.requests) / duration : 0
        latency = Percentiles(stats.latency)
        rawLatency = Percentiles(stats.rawLatency)
        statuses = stats.statuses
        tlsHandshake = stats.tlsHandshake.count > 0 ? Percentiles(stats.tlsHandshake) : nil
    }

    enum CodingKeys: String, CodingKey {
        case requests, errors, unanswered, errorRatePercent = "error_rate_percent", ratePerSecond = "rate_per_s", latency = "latency_ms", rawLatency = "raw_latency_ms", statuses
        case tlsHandshake = "tls_handshake_ms"
    }
}

/// Latency percentiles in milliseconds.
package struct Percentiles: Sendable, Encodable {
    package let p50, p90, p95, p99, p999, max, mean: Double

    package init(_ histogram: LatencyHistogram) {
        p50 = histogram.milliseconds(atPercentile: 50)
        p90 = histogram.milliseconds(atPercentile: 90)
        p95 = histogram.milliseconds(atPercentile: 95)
        p99 = histogram.milliseconds(atPercentile: 99)
        p999 = histogram.milliseconds(atPercentile: 99.9)
        max = histogram.maxMilliseconds
        mean = histogram.meanMilliseconds
    }

    enum CodingKeys: String, CodingKey { case p50, p90, p95, p99, p999 = "p99.9", max, mean }
}

extension LoadResult: Codable {
    private enum Keys: String, CodingKey {
        case schemaVersion = "schema_version", run, summary, slos, verdict, byName = "by_name", byTag = "by_tag", statuses, errors, checks
        case timeSeries = "time_series", metrics, notes, paths
    }

    /// One path's figures under a canary split, as reports show them side by side.
    private struct PathSummary: Encodable {
        let summary: GroupSummary
        let byName: [String: GroupSummary]
        let byTag: [String: GroupSummary]

        enum CodingKeys: String, CodingKey { case summary, byName = "by_name", byTag = "by_tag" }
    }

    private struct Summary: Encodable {
        let requests, errors, iterations, droppedIterations: Int
        let durationSeconds, ratePerSecond, errorRatePercent, checksPassedPercent: Double
        let latency, rawLatency: Percentiles
        /// Connection set-up over TLS apart from request latency; nil over plain HTTP.
        let tlsHandshake: Percentiles?
        let schedulerLatenessP99, schedulerLatenessMax: Double
        let payments: Payments?

        enum CodingKeys: String, CodingKey {
            case requests, errors, iterations, droppedIterations = "dropped_iterations", durationSeconds = "duration_s", ratePerSecond = "rate_per_s"
            case errorRatePercent = "error_rate_percent", checksPassedPercent = "checks_passed_percent", latency = "latency_ms", rawLatency = "raw_latency_ms"
            case tlsHandshake = "tls_handshake_ms"
            case schedulerLatenessP99 = "scheduler_lateness_p99_ms", schedulerLatenessMax = "scheduler_lateness_max_ms", payments
        }
    }

    /// Requests tagged `payment`: failed (the answer said so) and unknown (no answer) apart.
    private struct Payments: Encodable {
        let requests, failed, unknown: Int
        let failureRatePercent: Double

        init(_ stats: RequestStats) {
            requests = stats.requests
            failed = stats.errors - stats.unanswered
            unknown = stats.unanswered
            failureRatePercent = stats.answeredErrorRate * 100
        }

        enum CodingKeys: String, CodingKey { case requests, failed, unknown, failureRatePercent = "failure_rate_percent" }
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let schema = try c.decode(String.self, forKey: .schemaVersion)
        guard schema == Self.schema else {
            throw DecodingError.dataCorruptedError(forKey: .schemaVersion, in: c, debugDescription: "expected \(Self.schema), found \(schema)")
        }
        run = try c.decode(Run.self, forKey: .run)
        guard run.durationSeconds.isFinite, (0...DurationText.maximum).contains(run.durationSeconds) else {
            throw DecodingError.dataCorruptedError(forKey: .run, in: c, debugDescription: "run.duration_s must be seconds from 0 to 366 days")
        }
        objectives = try c.decode([SLOResult].self, forKey: .slos).map(\.objective)
        metrics = try c.decode(RunMetrics.self, forKey: .metrics)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        let duration = run.durationSeconds
        try c.encode(Self.schema, forKey: .schemaVersion)
        try c.encode(run, forKey: .run)
        try c.encode(Summary(requests: metrics.total.requests, errors: metrics.total.errors, iterations: metrics.iterations,
                             droppedIterations: metrics.droppedIterations, durationSeconds: duration,
                             ratePerSecond: duration > 0 ? Double(metrics.total.requests) / duration : 0,
                             errorRatePercent: metrics.total.errorRate * 100, checksPassedPercent: metrics.checkPassRate * 100,
                             latency: Percentiles(metrics.total.latency), rawLatency: Percentiles(metrics.total.rawLatency),
                             tlsHandshake: metrics.total.tlsHandshake.count > 0 ? Percentiles(metrics.total.tlsHandshake) : nil,
                             schedulerLatenessP99: metrics.schedulerLateness.milliseconds(atPercentile: 99),
                             schedulerLatenessMax: metrics.schedulerLateness.maxMilliseconds,
                             payments: metrics.byTag[Objective.paymentTag].map(Payments.init)), forKey: .summary)
        let results = slos
        try c.encode(results, forKey: .slos)
        try c.encode(Verdict(results, aborted: run.aborted), forKey: .verdict)
        try c.encode(metrics.byName.mapValues { GroupSummary($0, duration: duration) }, forKey: .byName)
        try c.encode(metrics.byTag.mapValues { GroupSummary($0, duration: duration) }, forKey: .byTag)
        try c.encode(metrics.total.statuses, forKey: .statuses)
        try c.encode(Dictionary(uniqueKeysWithValues: metrics.errors.map { ($0.key.rawValue, $0.value) }), forKey: .errors)
        try c.encode(metrics.checks, forKey: .checks)
        try c.encode(notes, forKey: .notes)
        if !metrics.byPath.isEmpty {
            try c.encode(Dictionary(uniqueKeysWithValues: metrics.byPath.map { path, figures in
                (path.rawValue, PathSummary(summary: GroupSummary(figures.total, duration: duration), byName: figures.byName.mapValues { GroupSummary($0, duration: duration) },
                                            byTag: figures.byTag.mapValues { GroupSummary($0, duration: duration) }))
            }), forKey: .paths)
        }
        try c.encode(metrics, forKey: .metrics)
    }

    /// What a reader should know to read the figures right.
    package var notes: [String] {
        var notes: [String] = []
        if run.hasClosedModel {
            notes.append("Closed-model scenarios: users wait for each response before the next request, so their latency hides coordinated omission (a slow server also slows the load). Their corrected latency fills in the requests a user would have sent during a stall, using the step's think time as the expected interval.")
        }
        if metrics.droppedIterations > 0 {
            notes.append("\(metrics.droppedIterations) iterations were dropped: every allowed user was busy when they were due (raise max_vus, or the target is too slow for the rate).")
        }
        if metrics.unfinished > 0 {
            notes.append("\(metrics.unfinished) requests were still waiting for an answer when the run ended: they count as timeouts.")
        }
        if let tls = run.tls, tls.contains("verification OFF") {
            notes.append("TLS certificate verification was OFF (insecure_skip_verify): the target's identity was not checked.")
        }
        if run.aborted { notes.append("The run was aborted: \(run.abortedBecause ?? "stopped") — the figures cover what finished.") }
        if let missing = run.missingShards, !missing.isEmpty {
            notes.append("INCOMPLETE: shard\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) never reported — the figures are of the other \(run.mergedFrom.count) only, not of the whole run.")
        }
        return notes
    }

    /// The JSON document.
    package func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// Reads a result written by `json()`.
    package static func read(_ data: Data) throws -> LoadResult {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(LoadResult.self, from: data)
    }
}

extension LoadResult {
    /// The result of a run of `profile` (as run: sharded, shortened) against `target`.
    package init(profile: LoadProfile, outcome: RunOutcome, target: String, shard: Shard, tollgateVersion: String, runID: String? = nil) {
        var run = Run(profile: profile.name, profileSource: profile.source, target: target, startedAt: outcome.startedAt, endedAt: outcome.endedAt,
                      durationSeconds: outcome.duration, tollgateVersion: tollgateVersion, host: ProcessInfo.processInfo.hostName,
                      shard: shard.description,
                      scenarios: profile.scenarios.map { Scenario(name: $0.name, executor: $0.executor.name, model: $0.executor.isOpen ? "open" : "closed",
                                                                  startSeconds: $0.startTime, durationSeconds: $0.executor.duration) },
                      aborted: outcome.abortedBecause != nil, abortedBecause: outcome.abortedBecause)
        run.runID = runID
        run.profileDigest = profile.digest
        if target.lowercased().hasPrefix("https://") { run.tls = profile.tls.summary ?? "certificates verified against the system's trust store" }
        self.init(run: run, objectives: profile.objectives, metrics: outcome.metrics)
    }
}
