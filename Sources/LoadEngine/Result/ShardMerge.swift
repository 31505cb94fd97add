import Foundation
import SLO
import Steps

/// Shard results checked before they are merged: one profile, one shard count, no shard twice;
/// a shard that never reported is named and the merge marked incomplete, never silently smaller.
package enum ShardMerge {
    /// Why shard results cannot be merged, naming the files.
    package struct Refusal: Error, CustomStringConvertible {
        package let description: String
        package init(description: String) { self.description = description }
    }

    /// Merges `results` (with the file each was read from); a single whole run (or merge) is
    /// returned as it is, a single shard as an incomplete merge.
    package static func merge(_ results: [(file: String, result: LoadResult)]) throws(Refusal) -> LoadResult {
        guard let first = results.first else { throw Refusal(description: "no load result to report") }
        if results.count == 1, (Shard(parsing: first.result.run.shard)?.count ?? 1) == 1 { return first.result }
        let profiles = Dictionary(grouping: results, by: \.result.run.profile)
        if profiles.count > 1 {
            let named = profiles.sorted { $0.key < $1.key }.map { "'\($0.key)' (\($0.value.map(\.file).joined(separator: ", ")))" }
            throw Refusal(description: "these results are of different profiles: \(named.joined(separator: "; ")) — merge the shards of one run")
        }
        var shards: [(file: String, shard: Shard)] = []
        for entry in results {
            guard let shard = Shard(parsing: entry.result.run.shard) else {
                throw Refusal(description: "\(entry.file) is not a shard (\(entry.result.run.shard)): merge the results of `tollgate load --shard i/N`")
            }
            shards.append((entry.file, shard))
        }
        if Set(shards.map(\.shard.count)).count > 1 {
            throw Refusal(description: "these shards are of different runs: " + shards.map { "\($0.file) is \($0.shard)" }.joined(separator: ", "))
        }
        try sameRun(results)
        let count = shards[0].shard.count
        for (index, group) in Dictionary(grouping: shards, by: \.shard.index) where group.count > 1 {
            throw Refusal(description: "shard \(index + 1)/\(count) is there twice: \(group.map(\.file).joined(separator: ", "))")
        }
        let present = Set(shards.map(\.shard.index))
        let missing = (0..<count).filter { !present.contains($0) }.map { "\($0 + 1)/\(count)" }
        guard var merged = LoadResult.merged(results.map(\.result)) else { throw Refusal(description: "no load result to report") }
        if results.count == 1 {
            merged.run.mergedFrom = ["\(first.result.run.shard)@\(first.result.run.host)"]
            merged.run.shard = "merged"
        }
        merged.run.missingShards = missing.isEmpty ? nil : missing
        return merged
    }

    /// The shards must be of one run: the same run id (or none at all), the same profile text,
    /// the same objectives — and, without a run id, runs that overlapped in time. Else the
    /// refusal names the files: the first file must not decide the objectives of another's figures.
    static func sameRun(_ results: [(file: String, result: LoadResult)]) throws(Refusal) {
        func differ<T: Hashable>(_ what: String, _ value: (LoadResult) -> T, _ shown: (T) -> String) throws(Refusal) {
            let groups = Dictionary(grouping: results) { value($0.result) }
            guard groups.count > 1 else { return }
            let named = groups.map { key, entries in "\(entries.map(\.file).joined(separator: ", ")) \(shown(key))" }.sorted()
            throw Refusal(description: "these shards are not of one run — \(what) differ: \(named.joined(separator: "; "))")
        }
        try differ("their run ids", { $0.run.runID }, { $0.map { "(run \($0))" } ?? "(no run id)" })
        try differ("their profiles", { $0.run.profileDigest }, { $0.map { "(profile text \($0))" } ?? "(no profile digest)" })
        try differ("their objectives", { $0.objectives.map(\.expression) }, { "(\($0.isEmpty ? "none" : $0.joined(separator: ", ")))" })
        guard results.allSatisfy({ $0.result.run.runID == nil }) else { return }
        // Without an id, shards of one run overlap: each started before the others ended (a minute's leeway for clocks).
        let latestStart = results.max { $0.result.run.startedAt < $1.result.run.startedAt }!
        let earliestEnd = results.min { $0.result.run.endedAt < $1.result.run.endedAt }!
        if latestStart.result.run.startedAt.timeIntervalSince(earliestEnd.result.run.endedAt) > 60 {
            let format = ISO8601DateFormatter()
            throw Refusal(description: "these shards did not run together: \(earliestEnd.file) ended at \(format.string(from: earliestEnd.result.run.endedAt)), "
                          + "\(latestStart.file) started at \(format.string(from: latestStart.result.run.startedAt)) — merge the shards of one run (give them a --run-id)")
        }
    }
}
