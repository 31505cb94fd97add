import Foundation
import TestSupport
import Testing

/// Shards of one run on one machine, as they would be on many: a barrier that starts them
/// together, a start time, and a merge that names what is missing.
@Suite struct DistributedLoadTests {
    /// A folder with `ok.txt` served by python's HTTP server on 127.0.0.1.
    static func withTarget(_ body: (_ url: String, _ folder: URL) async throws -> Void) async throws {
        let folder = try temporaryFolder("distributed")
        defer { try? FileManager.default.removeItem(at: folder) }
        let site = folder.appendingPathComponent("site")
        try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
        try Data("ok".utf8).write(to: site.appendingPathComponent("ok.txt"))
        try await withStaticServer(serving: site) { port in try await body("http://127.0.0.1:\(port)/ok.txt", folder) }
    }

    static func shardArguments(_ url: String, _ shard: String, _ extra: [String]) -> [String] {
        ["load", "--url", url, "--rate", "30", "--duration", "3s", "--shard", shard, "--slo", "error_rate<=1%", "--quiet"] + extra
    }

    @Test func shardsStartedApartStartTogetherAndMergeExactly() async throws {
        try await Self.withTarget { url, folder in
            let barrier = folder.appendingPathComponent("barrier").path
            let results = folder.appendingPathComponent("results")
            try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
            var shards: [ChildProcess] = []
            for i in 1...3 {
                shards.append(try ChildProcess(tollgateBinary.path, Self.shardArguments(url, "\(i)/3", ["--barrier", barrier, "--json", results.appendingPathComponent("shard-\(i).json").path]),
                                               directory: packageRoot.path))
                // Pods come up when they come up: 1.5 s apart here.
                if i < 3 { try await Task.sleep(for: .milliseconds(1500)) }
            }
            var starts: [Date] = [], requests = 0
            for (i, shard) in shards.enumerated() {
                let ended = await shard.finish()
                #expect(ended.code == 0 && !ended.signalled, "shard \(i + 1): \(ended.out)\(ended.err)")
                let json = try jsonObject(results.appendingPathComponent("shard-\(i + 1).json"))
                let run = try #require(json["run"] as? [String: Any])
                starts.append(try #require(ISO8601DateFormatter().date(from: run["started_at"] as? String ?? "")))
                requests += (json["summary"] as? [String: Any])?["requests"] as? Int ?? 0
            }
            let spread = starts.max()!.timeIntervalSince(starts.min()!)
            #expect(spread <= 1, "the shards started within a second of each other (whole seconds in the result), not 3 s apart: \(starts)")

            let merged = folder.appendingPathComponent("merged.json")
            let report = try await runTollgate(["report", results.path, "--json", merged.path, "--html", folder.appendingPathComponent("merged.html").path])
            #expect(report.status == 0, "\(report.out)\(report.err)")
            let whole = try jsonObject(merged)
            #expect((whole["summary"] as? [String: Any])?["requests"] as? Int == requests, "the merge adds the shards exactly")
            #expect(abs(requests - 90) <= 2, "30/s for 3 s in all: \(requests)")

            let late = folder.appendingPathComponent("shard-2.late")
            try FileManager.default.moveItem(at: results.appendingPathComponent("shard-2.json"), to: late)
            let waited = Date()
            let partial = try await runTollgate(["report", results.path, "--json", merged.path, "--wait", "2s"])
            #expect(partial.status == 2, "\(partial.out)\(partial.err)")
            #expect(Date().timeIntervalSince(waited) >= 2, "--wait 2s waited for the missing shard")
            #expect(partial.err.contains("incomplete: shard 2/3 never reported"), "\(partial.err)")
            #expect((try jsonObject(merged)["run"] as? [String: Any])?["missing_shards"] as? [String] == ["2/3"], "the merged report says so")

            // A merge started before the last shard is done takes it when it arrives.
            let merging = try ChildProcess(tollgateBinary.path, ["report", results.path, "--json", merged.path, "--wait", "60s"], directory: packageRoot.path)
            #expect(await merging.output(until: "Waiting up to 60s", timeout: 30).contains("Waiting up to 60s"), "the merge waits")
            try FileManager.default.moveItem(at: late, to: results.appendingPathComponent("shard-2.json"))
            let complete = await merging.finish()
            #expect(complete.code == 0, "\(complete.out)\(complete.err)")
            #expect((try jsonObject(merged)["summary"] as? [String: Any])?["requests"] as? Int == requests, "every shard merged")
        }
    }

    @Test func aShardThatNeverComesIsNamedAtTheBarrier() async throws {
        try await Self.withTarget { url, folder in
            let result = try await runTollgate(Self.shardArguments(url, "1/2", ["--barrier", folder.appendingPathComponent("barrier").path, "--barrier-timeout", "2s"]))
            #expect(result.status == 2)
            #expect(result.err.contains("shard 2/2 never came within 2s"), "\(result.err)")
        }
    }

    @Test func ctrlCAtTheBarrierEndsTheWait() async throws {
        try await Self.withTarget { url, folder in
            let barrier = folder.appendingPathComponent("barrier")
            let shard = try ChildProcess(tollgateBinary.path, Self.shardArguments(url, "1/2", ["--barrier", barrier.path]), directory: packageRoot.path)
            #expect(await eventually(timeout: 20) { FileManager.default.fileExists(atPath: barrier.appendingPathComponent("shard-1-of-2.json").path) },
                    "the shard announced itself")
            shard.send(SIGINT)
            let began = Date()
            let ended = await shard.finish()
            #expect(Date().timeIntervalSince(began) < 10, "one Ctrl-C ends the wait (the barrier waits 5 minutes)")
            #expect(ended.code == 2 && !ended.signalled, "\(ended)")
            #expect(ended.err.contains("interrupted while waiting for shard 2/2"), "\(ended.err)")
        }
    }

    @Test func startAtStartsTheScheduleThen() async throws {
        try await Self.withTarget { url, folder in
            let at = Date(timeIntervalSinceNow: 4).timeIntervalSince1970.rounded(.down)
            let text = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: at))
            let report = folder.appendingPathComponent("r.json")
            let result = try await runTollgate(Self.shardArguments(url, "1/1", ["--start-at", text, "--json", report.path]))
            #expect(result.status == 0, "\(result.out)\(result.err)")
            let run = try #require(try jsonObject(report)["run"] as? [String: Any])
            let started = try #require(ISO8601DateFormatter().date(from: run["started_at"] as? String ?? ""))
            #expect(started.timeIntervalSince1970 >= at, "started at \(started), not before \(text)")
            let past = try await runTollgate(Self.shardArguments(url, "1/1", ["--start-at", "2020-01-01T00:00:00Z"]))
            #expect(past.status == 2 && past.err.contains("has passed"), "\(past.err)")
            let bad = try await runTollgate(Self.shardArguments(url, "1/1", ["--start-at", "tomorrow", "--barrier", folder.path]))
            #expect(bad.status == 2)
            for expected in ["--start-at 'tomorrow' is not an RFC 3339 time", "--barrier is for the shards of one run", "--barrier and --start-at exclude each other"] {
                #expect(bad.err.contains(expected), "\(expected) in: \(bad.err)")
            }
        }
    }
}
