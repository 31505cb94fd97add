import ArgumentParser
import Foundation
import Gate
import Reports
import ResponseParity
import Steps

/// `tollgate parity --baseline URL --candidate URL REQUESTS...`: does the new path answer the same?
struct ParityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parity",
        abstract: "Send each safe request to the baseline twice and the candidate once, and report the candidate's differences beyond the noise.",
        discussion: """
            As Twitter's Diffy: paths where the baseline differs from itself (timestamps, request ids)
            are noise for that endpoint, learned over the run; only candidate differences outside it
            count. Requests come from HAR files (what browsers and mitmproxy export: path, query and
            headers, the origin replaced; credentials kept, never printed) and from load profiles' and
            flows' GET and HEAD steps. Writes are never sent twice.
              tollgate parity --baseline http://monolith:3000 --candidate http://catalog:3002 loadprofiles/smoke.yaml
            Exit status: 0 no endpoint differs beyond the threshold, 1 one does, 2 could not run.
            """)

    @Option(help: "The old path's base URL (answers twice: primary and secondary).") var baseline: String
    @Option(help: "The new path's base URL.") var candidate: String
    @Argument(help: "HAR files, load profiles or flows whose GET and HEAD requests are replayed.") var requests: [String]
    @Option(help: "The largest share of an endpoint's requests that may differ (e.g. 1%).") var threshold = "1%"
    @Option(name: .customLong("repeat"), help: "How many times each request is replayed (noise is learned from the repeats).") var repeats = 5
    @Option(help: "Requests compared at once.") var concurrency = 8
    @Option(help: "Each request's timeout on each side (e.g. 10s).") var timeout = "10s"
    @Option(name: .customLong("ignore"), help: "A JSON path never compared, e.g. '$.meta.generated_at' (repeatable).") var ignored: [String] = []
    @Option(name: .customLong("unordered"), help: "A JSON array whose order does not matter, e.g. '$.tags' (repeatable).") var unordered: [String] = []
    @Option(name: .customLong("compare-header"), help: "A response header compared too (repeatable).") var headers: [String] = []
    @OptionGroup var reports: ReportOptions

    func validate() throws {
        var problems: [String] = []
        for (flag, url) in [("--baseline", baseline), ("--candidate", candidate)] where !(url.hasPrefix("http://") || url.hasPrefix("https://")) || URL(string: url)?.host == nil {
            problems.append("\(flag) '\(url.prefix(80))' must be an http(s) URL")
        }
        if requests.isEmpty { problems.append("give at least one HAR file, load profile or flow") }
        if Self.percent(threshold) == nil { problems.append("--threshold '\(threshold.prefix(20))' must be a percentage from 0% to 100%") }
        if !(1...1000).contains(repeats) { problems.append("--repeat must be 1-1000") }
        if !(1...256).contains(concurrency) { problems.append("--concurrency must be 1-256") }
        if !((DurationText.seconds(timeout) ?? 0) > 0 && (DurationText.seconds(timeout) ?? 0) <= 600) { problems.append("--timeout '\(timeout.prefix(20))' must be a duration up to 10m") }
        for path in ignored + unordered where !path.hasPrefix("$") { problems.append("'\(path.prefix(80))' is not a JSON path (it starts with $)") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    static func percent(_ text: String) -> Double? {
        guard text.hasSuffix("%"), let value = Double(text.dropLast()), value.isFinite, (0...100).contains(value) else { return nil }
        return value
    }

    func run() async throws {
        let loaded: (requests: [ParityRequest], skipped: [String])
        do { loaded = try ParitySources.requests(requests, repeats: repeats) } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        for note in loaded.skipped { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
        var options = ParityOptions()
        options.threshold = Self.percent(threshold) ?? 1
        options.comparison = JSONComparison(ignored: Set(ignored), unordered: Set(unordered))
        options.headers = headers
        options.timeout = DurationText.seconds(timeout) ?? 10
        options.concurrency = concurrency
        let total = loaded.requests.count
        print("Comparing \(total) requests: \(ParityReplayText.origin(baseline)) (twice) against \(ParityReplayText.origin(candidate))…")
        let interactive = isatty(STDOUT_FILENO) == 1
        var report = await ParityReplay.run(loaded.requests, baseline: baseline, candidate: candidate, options: options) { done in
            if interactive, done % 50 == 0 || done == total { FileHandle.standardOutput.write(Data("\r  \(done)/\(total)".utf8)) }
        }
        if interactive { print("") }
        report.skipped = loaded.skipped
        print(report.text())
        do {
            for file in try report.write(json: reports.json, html: reports.html, junit: reports.junit, defaultStem: "\(reports.reportDir)/parity") { print("  report: \(file)") }
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        if report.compared == 0 {
            FileHandle.standardError.write(Data("Error: no request was answered by all three (\(report.failures.first ?? "no request sent")): nothing was compared\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        if !report.passed { throw ExitCode(ExitStatus.failed) }
    }
}

/// How a side is shown: its origin, credentials never.
enum ParityReplayText {
    static func origin(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return "?" }
        return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")\(components.path)"
    }
}
