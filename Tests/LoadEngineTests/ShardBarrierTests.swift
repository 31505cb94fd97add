import Foundation
import LoadEngine
import Steps
import Testing

/// The barrier trusts no announcement it should not: one from the future (a clock far ahead, a
/// forged file) or one of another run.
@Suite struct ShardBarrierTests {
    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("barrier-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func announce(_ directory: String, shard: Int, of count: Int, at: Double, runID: String? = nil) throws {
        let run = runID.map { #", "run_id": "\#($0)""# } ?? ""
        try Data(#"{"announced_at": \#(at), "host": "peer", "pid": 1\#(run)}"#.utf8).write(to: URL(fileURLWithPath: "\(directory)/shard-\(shard)-of-\(count).json"))
    }

    @Test(arguments: [25.0, 4_294_967_296.0, 1e300]) func anAnnouncementFromTheFutureIsRefusedNamingTheFile(ahead: Double) throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let at = ahead > 1e9 ? ahead : Date().timeIntervalSince1970 + ahead
        try announce(directory, shard: 2, of: 2, at: at)
        let barrier = ShardBarrier(directory: directory, shard: Shard(parsing: "1/2")!, timeout: 5)
        let began = Date()
        do {
            _ = try barrier.waitBlocking()
            Issue.record("a shard started with a peer \(ahead) s ahead")
        } catch {
            #expect(error.description.contains("shard-2-of-2.json announces a time"), "\(error)")
        }
        #expect(Date().timeIntervalSince(began) < 3, "refused at once, not after waiting")
    }

    @Test func onlyAnnouncementsOfTheSameRunCount() throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A peer of an earlier run, a minute old: with run ids it is no peer of this run.
        try announce(directory, shard: 2, of: 2, at: Date().timeIntervalSince1970 - 60, runID: "yesterday")
        let barrier = ShardBarrier(directory: directory, shard: Shard(parsing: "1/2")!, timeout: 1, runID: "today")
        #expect(throws: ShardBarrier.Failure.self) { _ = try barrier.waitBlocking() }
        try announce(directory, shard: 2, of: 2, at: Date().timeIntervalSince1970, runID: "today")
        let start = try barrier.waitBlocking()
        #expect(start.timeIntervalSinceNow > 0 && start.timeIntervalSinceNow < 3)
        barrier.withdraw()
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/shard-1-of-2.json"), "the run's announcement is taken back")
    }
}
