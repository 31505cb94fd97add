import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import Transport

/// Commands a gate runs end when they must, whatever they do: a read-back that ignored SIGTERM
/// ran 45 s past its 2 s timeout; one printing 1.5 GB grew Tollgate past 7 GB.
@Suite struct BoundedCommandTests {
    func temporaryFile() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("bounded-\(UUID())").path }

    func alive(_ pidFile: String) -> Bool {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return false }
        // A killed process whose parent is gone may linger as a zombie until init reaps it: that is not running.
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    @Test func aCommandThatIgnoresSIGTERMIsKilledAfterTheGracePeriod() throws {
        let pidFile = temporaryFile()
        defer { unlink(pidFile) }
        let began = Date()
        #expect {
            try BoundedCommand.run(["sh", "-c", "echo $$ > \(pidFile); trap '' TERM; sleep 30; sleep 30"], timeout: 0.5, grace: 1)
        } throws: { error in
            if case .timedOut = error as? BoundedCommand.Failure { return true } else { return false }
        }
        #expect(Date().timeIntervalSince(began) < 10, "ended after the timeout and the grace period, not after its sleeps")
        #expect(!alive(pidFile), "the command is gone")
    }

    @Test func aCommandPrintingWithoutEndIsStoppedAtTheLimit() throws {
        #expect {
            try BoundedCommand.run(["yes"], timeout: 30, outputLimit: 256 << 10)
        } throws: { error in
            (error as? BoundedCommand.Failure)?.description == "it printed more than 256 KB (stopped)"
        }
    }

    @Test func whatItLeavesRunningInItsGroupEndsWithIt() throws {
        let pidFile = temporaryFile()
        defer { unlink(pidFile) }
        let result = try BoundedCommand.run(["sh", "-c", "sleep 60 & echo $! > \(pidFile); echo started"], timeout: 10)
        #expect(result.status == 0 && result.out == "started\n")
        usleep(100_000)
        #expect(!alive(pidFile), "the background sleep was ended with its group")
    }

    @Test func statusAndOutputAreReturned() throws {
        let result = try BoundedCommand.run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout: 10)
        #expect(result.status == 3 && result.out == "out\n" && result.err == "err\n")
        #expect {
            try BoundedCommand.run(["no-such-command"], timeout: 10)
        } throws: { error in
            (error as? BoundedCommand.Failure)?.description == "cannot run it: no-such-command is not on the PATH"
        }
    }
}
