import Foundation
import Steps
import Transport

/// The shards of one distributed run starting together: each announces itself with a file in a
/// directory they share (a volume, NFS), waits until every shard of `i/N` has, and all start at
/// the same moment — the latest announcement plus `lead` seconds, which every shard computes
/// alike from the same files. An announcement older than the timeout is another run's.
public struct ShardBarrier: Sendable {
    public let directory: String
    public let shard: Shard
    /// The longest a shard waits for the others, in seconds.
    public let timeout: Double
    /// Seconds between the last shard's arrival and the common start: time for every shard to see it and make its run ready.
    public var lead: Double = 2

    public init(directory: String, shard: Shard, timeout: Double) {
        self.directory = directory
        self.shard = shard
        self.timeout = timeout
    }

    /// Why the barrier could not be passed.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    func file(_ index: Int) -> String { "\(directory)/shard-\(index + 1)-of-\(shard.count).json" }

    /// Announces this shard, waits for the others, and returns the common start time; gives up
    /// when `stopped` says so (Ctrl-C). Blocking (file reads and sleeps): call it off the
    /// cooperative pool.
    public func waitBlocking(stopped: () -> Bool = { false }) throws(Failure) -> Date {
        let started = Date()
        let announcement = "{\"announced_at\": \(started.timeIntervalSince1970), \"host\": \"\(ProcessInfo.processInfo.hostName)\", \"pid\": \(ProcessInfo.processInfo.processIdentifier)}\n"
        do {
            // Seen whole or not at all: written beside, then renamed into place.
            try OutputFile.write(Data(announcement.utf8), to: file(shard.index))
        } catch {
            throw Failure(description: "--barrier \(directory): cannot announce shard \(shard): \(error.reason)")
        }
        while true {
            let arrivals = (0..<shard.count).map { announced($0, after: started.addingTimeInterval(-timeout)) }
            if arrivals.allSatisfy({ $0 != nil }) {
                return Date(timeIntervalSince1970: arrivals.compactMap { $0 }.max()! + lead)
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

    /// When shard `index` announced itself, if it did after `since`.
    private func announced(_ index: Int, after since: Date) -> Double? {
        guard let data = FileManager.default.contents(atPath: file(index)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let at = (object["announced_at"] as? NSNumber)?.doubleValue, at.isFinite, at >= since.timeIntervalSince1970 else { return nil }
        return at
    }
}
