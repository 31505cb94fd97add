import Foundation
import Gate
import Testing

/// Rollouts with no lease of their own (http, command) get the gate file's lock: a second gate
/// is refused naming the holder, and a released lock is free again.
@Suite struct RolloutLockTests {
    @Test func aLockFileRefusesASecondHolderNamingTheFirst() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rollout-\(UUID()).lock").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = FileRolloutLock(path: path), second = FileRolloutLock(path: path)
        try await first.acquire(holder: "gate storefront stage 25 (runner-1, pid 11)")
        #expect(await first.renew())
        do {
            try await second.acquire(holder: "gate storefront stage 50 (runner-1, pid 12)")
            Issue.record("two gates held one lock")
        } catch let held as RolloutHeld {
            #expect(held.description.contains("gate storefront stage 25 (runner-1, pid 11), since"), "\(held)")
        }
        await first.release()
        try await second.acquire(holder: "gate storefront stage 50 (runner-1, pid 12)")
        second.releaseNow()
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"] != nil,
                   "needs PostgreSQL: TOLLGATE_TEST_DATABASE_URL is not set (make test starts a server)"))
    func anAdvisoryLockRefusesASecondHolderAndDiesWithItsSession() async throws {
        let url = try #require(ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"])
        let name = "storefront-\(UUID())"
        let first = PostgresRolloutLock(url: url, name: name), second = PostgresRolloutLock(url: url, name: name)
        try await first.acquire(holder: "gate storefront stage 25 (runner-1, pid 11)")
        #expect(await first.renew())
        do {
            try await second.acquire(holder: "gate storefront stage 50 (runner-2, pid 12)")
            Issue.record("two gates held one advisory lock")
        } catch let held as RolloutHeld {
            #expect(held.description.contains("tollgate: gate storefront stage 25 (runner-1, pid 11)"), "\(held)")
        }
        // The holder's session ends (a killed gate): PostgreSQL frees the lock.
        first.releaseNow()
        try await second.acquire(holder: "gate storefront stage 50 (runner-2, pid 12)")
        await second.release()
        let unreachable = PostgresRolloutLock(url: "postgresql://127.0.0.1:1/none", name: name)
        await #expect(throws: GateSetupError.self) { try await unreachable.acquire(holder: "x") }
    }

    @Test func aLockedRolloutTakesTheLockBeforeItMoves() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rollout-\(UUID()).lock").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let holder = FileRolloutLock(path: path)
        try await holder.acquire(holder: "gate A")
        let rollout = GateRunTests.RecordingRollout()
        let locked = LockedRollout(rollout, lock: FileRolloutLock(path: path))
        await #expect(throws: RolloutHeld.self) { try await locked.acquire(holder: "gate B") }
        #expect(!rollout.log.contains("acquire"), "the rollout itself was not asked")
        await holder.release()
        try await locked.acquire(holder: "gate B")
        #expect(rollout.log == ["acquire"])
        await locked.release()
    }

    /// The team's own lock commands: acquire exits 0 when taken, else its output names the holder.
    @Test func commandLocksTakeRenewAndGiveBack() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lock-commands-\(UUID())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let state = folder + "/held"
        func lock() -> CommandRolloutLock {
            CommandRolloutLock(acquire: ["sh", "-c", "if [ -e \(state) ]; then echo held by $(cat \(state)); exit 1; fi; echo \"$0\" > \(state)", "${holder}"],
                               renew: ["test", "-e", state], release: ["rm", "-f", state], timeout: 5)
        }
        let first = lock(), second = lock()
        try await first.acquire(holder: "gate-A")
        #expect(await first.renew())
        do {
            try await second.acquire(holder: "gate-B")
            Issue.record("two gates held one command lock")
        } catch let held as RolloutHeld {
            #expect(held.description.contains("held by gate-A"), "\(held)")
        }
        await first.release()
        #expect(!FileManager.default.fileExists(atPath: state))
        try await second.acquire(holder: "gate-B")
        second.releaseNow()
        #expect(!FileManager.default.fileExists(atPath: state))
    }
}
