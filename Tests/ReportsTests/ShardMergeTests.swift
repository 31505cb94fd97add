import Foundation
import LoadEngine
import LoadMetrics
import Reports
import SLO
import Testing

/// Shards are merged only when they are one run's, each once; a missing one is named.
@Suite struct ShardMergeTests {
    static func shard(_ shard: String, profile: String = "peak <season>") throws -> LoadResult {
        var result = try sampleLoadResult()
        result.run.shard = shard
        result.run.profile = profile
        return result
    }

    @Test func allShardsMergeWhole() throws {
        let merged = try ShardMerge.merge([("a.json", try Self.shard("1/3")), ("b.json", try Self.shard("2/3")), ("c.json", try Self.shard("3/3"))])
        #expect(merged.run.shard == "merged" && merged.run.missingShards == nil)
        #expect(merged.metrics.total.requests == 18_000)
        #expect(!merged.notes.contains { $0.hasPrefix("INCOMPLETE") })
    }

    @Test func aMissingShardIsNamedAndTheMergeMarkedIncomplete() throws {
        let merged = try ShardMerge.merge([("a.json", try Self.shard("1/3")), ("c.json", try Self.shard("3/3"))])
        #expect(merged.run.missingShards == ["2/3"])
        #expect(merged.metrics.total.requests == 12_000)
        #expect(merged.notes.contains { $0.contains("INCOMPLETE: shard 2/3 never reported") })
        let json = String(decoding: try merged.json(), as: UTF8.self)
        #expect(json.contains(#""missing_shards" : ["#), "\(json.prefix(400))")
        let alone = try ShardMerge.merge([("b.json", try Self.shard("2/3"))])
        #expect(alone.run.missingShards == ["1/3", "3/3"] && alone.run.shard == "merged", "one shard alone is no whole run")
        let whole = try ShardMerge.merge([("w.json", try Self.shard("1/1"))])
        #expect(whole.run.missingShards == nil && whole.run.shard == "1/1")
    }

    @Test func shardsOfDifferentRunsAreRefusedNamingTheFiles() throws {
        for (inputs, expected) in [
            ([("a.json", try Self.shard("1/2", profile: "peak")), ("b.json", try Self.shard("2/2", profile: "smoke"))], "different profiles: 'peak' (a.json); 'smoke' (b.json)"),
            ([("a.json", try Self.shard("1/2")), ("b.json", try Self.shard("2/3"))], "different runs: a.json is 1/2, b.json is 2/3"),
            ([("a.json", try Self.shard("2/3")), ("b.json", try Self.shard("2/3"))], "shard 2/3 is there twice: a.json, b.json"),
            ([("a.json", try Self.shard("1/2")), ("m.json", try Self.shard("merged"))], "m.json is not a shard (merged)"),
        ] {
            #expect(throws: ShardMerge.Refusal.self) { try ShardMerge.merge(inputs) }
            do { _ = try ShardMerge.merge(inputs) } catch { #expect(error.description.contains(expected), "\(expected) in: \(error)") }
        }
    }

    /// A shard of another run (from 2020, from another host) merged, and the first file chose the
    /// objectives; now the run must be one: run id, profile text, objectives, and, without ids, time.
    @Test func shardsMustBeOfOneRun() throws {
        var stale = try Self.shard("2/2")
        stale.run.startedAt = Date(timeIntervalSince1970: 1_580_000_000)
        stale.run.endedAt = stale.run.startedAt.addingTimeInterval(60)
        var lenient = try Self.shard("2/2")
        lenient.objectives = [try Objective(parsing: "error_rate<100%:proceed")]
        var otherRun = try Self.shard("2/2")
        otherRun.run.runID = "run-b"
        var first = try Self.shard("1/2")
        first.run.runID = "run-a"
        var edited = try Self.shard("2/2")
        edited.run.profileDigest = "0123456789abcdef"
        var original = try Self.shard("1/2")
        original.run.profileDigest = "fedcba9876543210"
        for (inputs, expected) in [
            ([("a.json", try Self.shard("1/2")), ("old.json", stale)], "did not run together"),
            ([("a.json", try Self.shard("1/2")), ("lenient.json", lenient)], "objectives differ"),
            ([("a.json", first), ("b.json", otherRun)], "run ids differ: a.json (run run-a); b.json (run run-b)"),
            ([("a.json", first), ("b.json", try Self.shard("2/2"))], "run ids differ"),
            ([("a.json", original), ("b.json", edited)], "profiles differ"),
        ] {
            do {
                _ = try ShardMerge.merge(inputs)
                Issue.record("merged: \(expected)")
            } catch { #expect(error.description.contains(expected), "\(expected) in: \(error)") }
        }
        var second = try Self.shard("2/2")
        second.run.runID = "run-a"
        second.run.startedAt = Date(timeIntervalSince1970: 1_580_000_000)
        #expect(try ShardMerge.merge([("a.json", first), ("b.json", second)]).run.missingShards == nil, "one run id: one run, whenever its shards started")
    }
}
