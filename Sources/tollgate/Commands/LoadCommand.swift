import ArgumentParser
import Flows
import Foundation
import LoadEngine
import LoadMetrics
import Reports
import SLO
import ServerRuntime
import Steps

/// `tollgate load`: a load profile, or one endpoint in quick mode, with objectives and a verdict.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Run a load profile (or one endpoint with --url) and judge it by its objectives.",
        discussion: """
            Profile:    tollgate load loadprofiles/peak-season.yaml [--target URL] [--duration D]
            Quick mode: tollgate load --url URL (--rate N | --vus N [--think D]) --duration D [--slo EXPR]...
            Objectives: p50|p90|p95|p99|p99.9|max<DURATION, error_rate<PERCENT, payment_failure_rate<PERCENT,
                        rate>N, checks>PERCENT, dropped_iterations<=N, each with an optional :proceed|reduce|pause|rollback.
            Exit status: 0 every objective held, 1 an objective was breached, 2 the run could not be done
            (bad profile or flag, unreachable target, interrupted).
            """)

    @Argument(help: "A load profile (YAML); omit it for quick mode.") var profile: String?
    @Option(help: "The base URL to load (overrides the profile's target).") var target: String?
    @Option(help: "Quick mode: the URL to load.") var url: String?
    @Option(help: "Quick mode: the method.") var method = "GET"
    @Option(name: .customLong("header"), help: "Quick mode: 'Name: value' sent with every request (repeatable).") var headers: [String] = []
    @Option(help: "Quick mode: the body, as text or @FILE.") var body: String?
    @Option(help: "Quick mode, open model: iterations per second.") var rate: Double?
    @Option(help: "Quick mode, closed model: users looping.") var vus: Int?
    @Option(help: "Quick mode, closed model: the pause after each response (e.g. 100ms).") var think: String?
    @Option(help: "Quick mode: how long; with a profile: shorten it to this (its shape kept).") var duration: String?
    @Option(name: .customLong("max-vus"), help: "Quick mode: the most users the open model may use at once.") var maxVUs: Int?
    @Option(help: "Quick mode: the longest a request may take.") var timeout = "10s"
    @Option(name: .customLong("slo"), help: "An objective (repeatable); replaces the profile's.") var objectives: [String] = []
    @Option(help: "Run shard i of N (1-based): 1/N of the rate and users, every Nth feeder row.") var shard: String?
    @Option(help: "Write the HdrHistogram interval log (.hlog) here.") var hlog: String?
    @OptionGroup var reports: ReportOptions
    @OptionGroup(title: "HTTPS") var tls: TLSOptions
    @Option(help: "Threads (event loops) sending requests (default: one per core, at most 8).") var threads: Int?
    @Option(help: "Kafka brokers (HOST:PORT) for the event expectations of flow scenarios.") var kafkaBrokers: String?
    @OptionGroup var distributed: DistributedRunOptions
    @Flag(help: "No progress display.") var quiet = false

    func validate() throws {
        var problems: [String] = []
        if profile == nil && url == nil { problems.append("give a load profile, or --url for quick mode") }
        if profile != nil && url != nil { problems.append("give a profile or --url, not both") }
        if let url {
            if TargetURL(QuickProfile.base(of: url)) == nil { problems.append("--url '\(url)' must be an http:// or https:// URL with a host and no credentials") }
            if rate == nil && vus == nil { problems.append("quick mode needs --rate N (open model) or --vus N (closed model)") }
            if rate != nil && vus != nil { problems.append("--rate and --vus exclude each other") }
            if duration == nil { problems.append("quick mode needs --duration (e.g. 30s)") }
            if !["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"].contains(method.uppercased()) { problems.append("--method '\(method)' is not an HTTP method") }
        } else {
            for (flag, given) in [("--rate", rate != nil), ("--vus", vus != nil), ("--think", think != nil), ("--max-vus", maxVUs != nil), ("--body", body != nil), ("--header", !headers.isEmpty)] where given {
                problems.append("\(flag) is for quick mode (--url); a profile says it in its scenarios")
            }
        }
        if let target, TargetURL(target) == nil { problems.append("--target '\(target)' must be an http:// or https:// URL with a host") }
        problems += tls.problems
        if let rate, !(rate > 0 && rate <= 1_000_000) { problems.append("--rate must be between 0 and 1000000") }
        if let vus, !(1...100_000).contains(vus) { problems.append("--vus must be between 1 and 100000") }
        if let maxVUs, !(1...100_000).contains(maxVUs) { problems.append("--max-vus must be between 1 and 100000") }
        if let think, DurationText.seconds(think) == nil { problems.append("--think '\(think)' is not a duration (100ms, 1s)") }
        if let duration { if let seconds = DurationText.seconds(duration), seconds > 0 {} else { problems.append("--duration '\(duration)' is not a duration longer than 0 (30s, 5m)") } }
        if let seconds = DurationText.seconds(timeout), seconds > 0 {} else { problems.append("--timeout '\(timeout)' is not a duration longer than 0") }
        for header in headers where !header.contains(":") { problems.append("--header '\(header)' must be 'Name: value'") }
        for expression in objectives {
            do { _ = try Objective(parsing: expression) } catch { problems.append("--slo \(error)") }
        }
        if let threads, !(1...64).contains(threads) { problems.append("--threads must be between 1 and 64") }
        if let shard, Shard(parsing: shard) == nil { problems.append("--shard '\(shard)' must be i/N with 1 ≤ i ≤ N ≤ 1000") }
        problems += distributed.problems(shard: shard)
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        ShutdownSignals.install()
        var profile: LoadProfile
        do { profile = try loadProfile() } catch let error as FileProblems {
            FileHandle.standardError.write(Data("Error: the profile has \(error.problems.count) problem(s):\n\(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        if let duration, self.profile != nil, let seconds = DurationText.seconds(duration) { profile = profile.shortened(to: seconds) }
        if !objectives.isEmpty { profile.objectives = objectives.compactMap { try? Objective(parsing: $0) } }
        profile.tls = profile.tls.overridden(by: tls.settings)
        guard let target = TargetURL(self.target ?? profile.target) else {
            FileHandle.standardError.write(Data("Error: no target: the profile names none and --target was not given\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        var options = RunOptions()
        options.shard = shard.flatMap(Shard.init(parsing:)) ?? .whole
        options.userAgent = "tollgate/\(Tollgate.version)"
        if let threads { options.eventLoops = threads }
        let topics = profile.eventTopics.sorted()
        var events: KafkaEventSource?
        if !topics.isEmpty {
            guard let kafkaBrokers else {
                FileHandle.standardError.write(Data("Error: the profile's flows expect events on \(topics.joined(separator: ", ")): give --kafka-brokers HOST:PORT\n".utf8))
                throw ExitCode(ExitStatus.error)
            }
            do { events = try await KafkaEventSource.start(brokers: kafkaBrokers, topics: topics) } catch {
                FileHandle.standardError.write(Data("Error: cannot read events from \(kafkaBrokers): \(error)\n".utf8))
                throw ExitCode(ExitStatus.error)
            }
        }
        options.events = events
        let exporter: TextEndpoint?
        do {
            exporter = try await distributed.startExporter(profile: profile.name, quiet: quiet)
            options.startAt = try await distributed.startTime(shard: options.shard, quiet: quiet)
            options.runID = distributed.runID(agreedStart: options.startAt)
        } catch {
            await events?.close()
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        let session: LoadSession
        do { session = try LoadSession(profile: profile, target: target, options: options, tollgateVersion: Tollgate.version) } catch {
            await exporter?.stop()
            await events?.close()
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        let run = session.run
        let display = ProgressDisplay(quiet: quiet)
        display.started(profile: run.profile, target: target)
        let exposition = exporter

        let signals = Task {
            await ShutdownSignals.shared.wait()
            // Cancelled at the end of a run no signal stopped: nothing to say.
            guard !Task.isCancelled else { return }
            run.stop(because: "interrupted (Ctrl-C or SIGTERM)")
            FileHandle.standardError.write(Data("\nStopping: letting iterations in flight finish (Ctrl-C again exits at once)…\n".utf8))
        }
        let result: LoadResult
        do {
            result = try await session.result { snapshot in
                display.update(snapshot)
                exposition?.update(LoadExposition.text(snapshot.metrics, activeVUs: snapshot.activeVUs, profile: run.profile.name))
            }
        } catch {
            signals.cancel()
            await exporter?.stop()
            await events?.close()
            display.finish()
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        signals.cancel()
        await events?.close()
        display.finish()
        // The announcement at the barrier is this run's only: the next run in the directory must not count it.
        distributed.shardBarrier(options.shard)?.withdraw()
        print(result.summaryText())
        let written = try LoadReportFiles.write(result, json: reports.json, html: reports.html, junit: reports.junit, hlog: hlog,
                                                defaultStem: reports.stem("load", run.profile.name) + (options.shard.count > 1 ? "-shard\(options.shard.index + 1)of\(options.shard.count)" : ""))
        for file in written { print("  report: \(file)") }
        await distributed.finish(exporter, result.metrics, profile: run.profile.name)
        let interrupted = result.run.abortedBecause?.hasPrefix("interrupted") ?? false
        if interrupted { throw ExitCode(ExitStatus.error) }
        if !result.verdict.passed { throw ExitCode(ExitStatus.failed) }
    }

    private func loadProfile() throws -> LoadProfile {
        if let profile { return try ProfileLoader.load(file: profile) }
        guard let url else { throw ValidationError("no profile") }
        var quick = QuickProfile(url: url)
        quick.method = method
        quick.headers = headers.map { header in
            let parts = header.split(separator: ":", maxSplits: 1)
            return (parts[0].trimmingCharacters(in: .whitespaces), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        quick.body = try body.map { $0.hasPrefix("@") ? try String(contentsOfFile: String($0.dropFirst()), encoding: .utf8) : $0 }
        quick.rate = rate
        quick.vus = vus
        quick.think = think
        quick.seconds = DurationText.seconds(duration ?? "10s") ?? 10
        quick.maxVUs = maxVUs
        quick.timeout = timeout
        return try quick.profile()
    }
}
