import ArgumentParser
import Foundation
import LoadEngine
import LoadMetrics
import Reports
import ServerRuntime
import Steps
import Transport

/// How `tollgate load` takes part in a run bigger than itself: starting together with the other
/// shards (`--barrier`, `--start-at`), and showing its figures to a Prometheus (`--metrics-addr`).
struct DistributedRunOptions: ParsableArguments {
    @Option(help: "A directory the shards share: each of --shard i/N announces itself there and all start together once all N have.") var barrier: String?
    @Option(help: "The longest a shard waits at --barrier for the others (then exit 2 naming them).") var barrierTimeout = "5m"
    @Option(help: "Start the schedule at this time (RFC 3339, e.g. 2026-12-04T10:00:00Z), for shards that share a clock.") var startAt: String?
    @Option(help: "An id the shards of one run share (env TOLLGATE_RUN_ID; default: the start --barrier or --start-at agreed): only its announcements count at the barrier, and a merge refuses shards of other runs.") var runID: String?
    @Option(help: "Serve the running load's metrics in Prometheus format at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464).") var metricsAddr: String?
    @Option(help: "Keep serving --metrics-addr this long after the run, for a last scrape (e.g. 10s).") var metricsLinger = "0s"

    /// Every problem with these flags (`shard` as given to `--shard`).
    func problems(shard: String?) -> [String] {
        var problems: [String] = []
        if let metricsAddr, Self.hostAndPort(metricsAddr) == nil { problems.append("--metrics-addr '\(metricsAddr)' must be HOST:PORT (e.g. 127.0.0.1:9464)") }
        if !((DurationText.seconds(metricsLinger) ?? -1) >= 0 && (DurationText.seconds(metricsLinger) ?? 0) <= 3600) {
            problems.append("--metrics-linger '\(metricsLinger)' is not a duration up to 1h")
        }
        if barrier != nil, (shard.flatMap(Shard.init(parsing:))?.count ?? 1) < 2 { problems.append("--barrier is for the shards of one run: give --shard i/N with N > 1") }
        if !((DurationText.seconds(barrierTimeout) ?? 0) >= 1 && (DurationText.seconds(barrierTimeout) ?? 0) <= 86_400) {
            problems.append("--barrier-timeout '\(barrierTimeout)' is not a duration from 1s to 24h")
        }
        if barrier != nil, startAt != nil { problems.append("--barrier and --start-at exclude each other: the barrier chooses the start") }
        if let startAt, Self.time(startAt) == nil { problems.append("--start-at '\(startAt)' is not an RFC 3339 time (e.g. 2026-12-04T10:00:00Z)") }
        if let id = givenRunID, !Self.isRunID(id) { problems.append("--run-id '\(id.prefix(40))' must be 1 to 128 letters, digits, '.', '_', ':' or '-'") }
        return problems
    }

    /// `--run-id`, else `TOLLGATE_RUN_ID`.
    var givenRunID: String? { runID ?? ProcessInfo.processInfo.environment["TOLLGATE_RUN_ID"].flatMap { $0.isEmpty ? nil : $0 } }

    static func isRunID(_ id: String) -> Bool {
        (1...128).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._:-".contains($0)) }
    }

    /// The run's id: the one given, else the start the shards agreed on (every shard computes the
    /// same), else none (a single run, or shards started by hand).
    func runID(agreedStart start: Date?) -> String? {
        if let id = givenRunID { return id }
        guard let start else { return nil }
        return (barrier != nil ? "barrier-" : "start-") + String(Int64((start.timeIntervalSince1970 * 1000).rounded()))
    }

    /// The barrier of `--barrier`, for this shard and run.
    func shardBarrier(_ shard: Shard) -> ShardBarrier? {
        barrier.map { ShardBarrier(directory: $0, shard: shard, timeout: DurationText.seconds(barrierTimeout) ?? 300, runID: givenRunID) }
    }

    /// When the run starts: once the other shards are at the barrier, or `--start-at`; nil
    /// for a run that starts at once. Throws (saying why) when a shard never came or the start
    /// time has passed.
    func startTime(shard: Shard, quiet: Bool) async throws -> Date? {
        var start: Date?
        if let barrier, let gate = shardBarrier(shard) {
            if !quiet { FileHandle.standardError.write(Data("Shard \(shard) waiting at \(barrier) for the other \(shard.count - 1)…\n".utf8)) }
            start = try await BlockingWork.run { try gate.waitBlocking(stopped: { ShutdownSignals.shared.hasReceived }) }
        } else if let text = startAt, let at = Self.time(text) {
            guard at.timeIntervalSinceNow > -1 else { throw ValidationError("--start-at \(text) has passed: the shards would not start together") }
            start = at
        }
        if let start, !quiet {
            FileHandle.standardError.write(Data("Starting at \(ISO8601DateFormatter().string(from: start)) (in \(String(format: "%.1f", max(0, start.timeIntervalSinceNow))) s)\n".utf8))
        }
        return start
    }

    /// The Prometheus endpoint of `--metrics-addr`, serving an empty run until the first update.
    func startExporter(profile: String, quiet: Bool) async throws -> TextEndpoint? {
        guard let address = metricsAddr.flatMap(Self.hostAndPort) else { return nil }
        let exporter = try await TextEndpoint.start(host: address.host, port: address.port)
        exporter.update(LoadExposition.text(RunMetrics(), activeVUs: 0, profile: profile))
        if !quiet { FileHandle.standardError.write(Data("Metrics for Prometheus: \(exporter.url)\n".utf8)) }
        return exporter
    }

    /// Serves the final figures for `--metrics-linger`, then stops.
    func finish(_ exporter: TextEndpoint?, _ metrics: RunMetrics, profile: String) async {
        guard let exporter else { return }
        exporter.update(LoadExposition.text(metrics, activeVUs: 0, profile: profile))
        if let linger = DurationText.seconds(metricsLinger), linger > 0 { try? await Task.sleep(for: .seconds(linger)) }
        await exporter.stop()
    }

    /// `HOST:PORT` (`[v6]:PORT` too) with a port from 1 to 65535.
    static func hostAndPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    /// An RFC 3339 time, with or without fractional seconds.
    static func time(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return plain.date(from: text) ?? fractional.date(from: text)
    }
}
