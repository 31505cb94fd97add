import Foundation
import LoadEngine
import Reports
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
}
