package import Foundation
package import Steps
import Transport

/// The shards of one distributed run starting together: each announces itself with a file in a
/// directory they share (a volume, NFS), waits until every shard of `i/N` has, and all start at
/// the same moment — the latest announcement plus `lead` seconds, which every shard computes
/// alike from the same files. An announcement older than the timeout is another run's.
package struct ShardBarrier: Sendable {
    package let directory: String
    package let shard: Shard
    /// The longest a shard waits for the others, in seconds.
    package let timeout: Double
    /// Seconds between the last shard's arrival and the common start: time for every shard to see it and make its run ready.
    package var lead: Double = 2
    /// The run's id (`--run-id`): only announcements of the same run count.
    package let runID: String?
    /// How far ahead of this host's clock an announcement may be (clocks of one cluster agree to within this).
    package static let clockSkew = 5.0

    package init(directory: String, shard: Shard, timeout: Double, runID: String? = nil) {
        self.directory = directory
        self.shard = shard
        self.timeout = timeout
        self.runID = runID
    }

    /// Why the barrier could not be passed.
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    func file(_ index: Int) -> String { "\(directory)/shard-\(index + 1)-of-\(shard.count).json" }

    /// Announces this shard, waits for the others, and returns the common start time; gives up
    /// when `stopped` says so (Ctrl-C). Blocking (file reads and sleeps): call it off the
    /// cooperative pool.
    package func waitBlocking(stopped: () -> Bool = { false }) throws(Failure) -> Date {
        let started = Date()
        var fields: [String: Any] = ["announced_at": started.timeIntervalSince1970, "host": ProcessInfo.processInfo.hostName,
                                     "pid": Int(ProcessInfo.processInfo.processIdentifier)]
        if let runID { fields["run_id"] = runID }
        let announcement = String(decoding: (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self) + "\n"
        do {
            // Seen whole or not at all: written beside, then renamed into place.
            try OutputFile.write(Data(announcement.utf8), to: file(shard.index))
        } catch {
            throw Failure(description: "--barrier \(directory): cannot announce shard \(shard): \(error.reason)")
        }
        while true {
            let arrivals = try (0..<shard.count).map { index throws(Failure) in try announced(index, after: started.addingTimeInterval(-timeout)) }
            if arrivals.allSatisfy({ $0 != nil }) {
                let start = Date(timeIntervalSince1970: arrivals.compactMap { $0 }.max()! + lead)
                // Never later than a shard would wait: a forged or far-future announcement cannot hold the run.
                guard start.timeIntervalSinceNow <= timeout + lead else {
                    throw Failure(description: "--barrier \(directory): the agreed start \(ISO8601DateFormatter().string(from: start)) is later than --barrier-timeout from now")
                }
                return start
            }
            let interrupted = stopped()
            if interrupted || Date().timeIntervalSince(started) > timeout {
                let missing = arrivals.indices.filter { arrivals[$0] == nil }.map { "\($0 + 1)/\(shard.count)" }
                let shards = "shard\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", "))"
                throw Failure(description: interrupted ? "--barrier \(directory): interrupted while waiting for \(shards)"
                                                       : "--barrier \(directory): \(shards) never came within \(DurationText.describe(timeout))")
            }
            usleep(100_000)
        }
    }

    /// When shard `index` announced itself, if it did after `since` (for this run, when it has an
    /// id). An announcement from the future — a clock far ahead, a forged file — is refused, naming the file.
    private func announced(_ index: Int, after since: Date) throws(Failure) -> Double? {
        guard let data = FileManager.default.contents(atPath: file(index)), data.count <= 4096,
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let at = (object["announced_at"] as? NSNumber)?.doubleValue, at.isFinite, at >= since.timeIntervalSince1970 else { return nil }
        if let runID, object["run_id"] as? String != runID { return nil }
        let ahead = at - Date().timeIntervalSince1970
        guard ahead <= Self.clockSkew else {
            throw Failure(description: "--barrier \(directory): \(file(index)) announces a time \(ahead < 1e9 ? String(Int(ahead)) : String(format: "%.3g", ahead)) s ahead of this host's clock "
                          + "(clocks more than \(Int(Self.clockSkew)) s apart, or a forged file): the shards would not start together")
        }
        return at
    }

    /// Takes this shard's announcement back once its run is over, so the next run in the
    /// directory never counts it.
    package func withdraw() {
        try? FileManager.default.removeItem(atPath: file(shard.index))
    }
}
