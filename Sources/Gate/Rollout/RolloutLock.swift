import Foundation
import Synchronization
import Transport
import TransportPostgres

/// What keeps a second gate from moving a rollout while one runs, for rollouts that have no
/// lease of their own (`http`, `command`): the gate file's `lock:`. A lock held by another is
/// refused naming who holds it; a gate that dies frees it.
package protocol RolloutLock: Sendable {
    /// Takes the lock for `holder` ("gate storefront stage 25 (host, pid 4242)"), or throws
    /// `RolloutHeld` naming who holds it (`GateSetupError` when the lock cannot be reached).
    func acquire(holder: String) async throws
    /// Whether it is still held.
    func renew() async -> Bool
    func release() async
    /// The same, blocking, from any thread (a second Ctrl-C).
    func releaseNow()
}

/// A lock file on this machine, held with `flock` while the gate runs (the kernel frees it
/// when the gate's process ends, however it ends); the file says who holds it and since when.
package final class FileRolloutLock: RolloutLock {
    let path: String
    private let descriptor = Mutex<Int32?>(nil)

    package init(path: String) { self.path = path }

    package func acquire(holder: String) async throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw GateSetupError("lock: cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 1024)
            let count = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            let held = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "another process"
            throw RolloutHeld("the rollout is locked (\(path)) by \(OutsideText.printable(held, limit: 300))")
        }
        let text = "\(holder), since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptor.withLock { $0 = fd }
    }

    package func renew() async -> Bool { descriptor.withLock { $0 != nil } }

    package func release() async { releaseNow() }

    package func releaseNow() {
        guard let fd = descriptor.withLock({ value -> Int32? in defer { value = nil }; return value }) else { return }
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// A PostgreSQL advisory lock in a database the team names, held by a session of the gate's
/// own: PostgreSQL frees it when that session ends (a killed gate frees it). The session's
/// `application_name` says who holds it, so a refused gate names the holder.
package final class PostgresRolloutLock: RolloutLock {
    let url: String
    let name: String
    /// The advisory lock's first key: Tollgate's rollout locks (the second is the name's hash).
    static let namespace: Int32 = 7_412_002
    private let session = Mutex<Session?>(nil)

    /// The lock's session.
    private final class Session: @unchecked Sendable {
        // Safe: one blocking job at a time uses it — the gate's acquire, renews and release run one after another.
        let connection: PostgresConnection
        init(_ connection: PostgresConnection) { self.connection = connection }
    }

    package init(url: String, name: String) {
        self.url = url
        self.name = name
    }

    package func acquire(holder: String) async throws {
        let (url, name) = (self.url, self.name)
        let shown = Redaction.url(url)
        let opened: Session
        do {
            opened = try await BlockingWork.run { () throws -> Session in
                let connection = try PostgresConnection(url: url)
                _ = try connection.query("SELECT set_config('application_name', $1, false) AS name", [String("tollgate: \(holder)".prefix(60))])
                return Session(connection)
            }
        } catch {
            throw GateSetupError("lock: cannot reach the lock database \(shown): \(Redaction.scrub("\(error)", url: url))")
        }
        let holderNow: String? = try await BlockingWork.run {
            let connection = opened.connection
            let taken = try connection.query("SELECT pg_try_advisory_lock($1, hashtext($2)) AS taken", [Int(Self.namespace), name]).first?["taken"] == "t"
            if taken { return nil }
            let rows = try connection.query("""
                SELECT a.application_name AS who, a.client_addr::text AS address, a.backend_start::text AS since
                FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 AND l.objid::bigint = (hashtext($2)::bigint & 4294967295)
                """, [Int(Self.namespace), name])
            return rows.first.map { "\($0["who"] ?? "") (\($0["address"] ?? "local"), since \($0["since"] ?? "?"))" } ?? "another session"
        }
        if let holderNow {
            throw RolloutHeld("the rollout is locked (advisory lock '\(name)' in \(shown)) by \(OutsideText.printable(holderNow, limit: 300))")
        }
        session.withLock { $0 = opened }
    }

    package func renew() async -> Bool {
        guard let held = session.withLock({ $0 }) else { return false }
        return (try? await BlockingWork.run { try held.connection.query("SELECT 1 AS alive").count == 1 }) ?? false
    }

    package func release() async {
        guard let held = session.withLock({ value -> Session? in defer { value = nil }; return value }) else { return }
        let name = self.name
        _ = try? await BlockingWork.run { try held.connection.query("SELECT pg_advisory_unlock($1, hashtext($2)) AS released", [Int(Self.namespace), name]) }
    }

    /// Ends the session: PostgreSQL frees its locks.
    package func releaseNow() { session.withLock { $0 = nil } }
}

/// A lock the team's own commands keep (a lock service's CLI, `kubectl annotate` with a holder):
/// `acquire` exits 0 when the lock is taken (anything else: held, its output naming the holder),
/// `renew` exits 0 while it is still held, `release` gives it back. `${holder}` in an argument is
/// this gate. Each command is bounded as the rollout's commands are (`BoundedCommand`).
package final class CommandRolloutLock: RolloutLock {
    let acquireCommand: [String], renewCommand: [String]?, releaseCommand: [String]
    let timeout: Double
    private let holder = Mutex<String?>(nil)

    package init(acquire: [String], renew: [String]?, release: [String], timeout: Double) {
        acquireCommand = acquire
        renewCommand = renew
        releaseCommand = release
        self.timeout = timeout
    }

    private func filled(_ arguments: [String], _ holder: String) -> [String] {
        arguments.map { $0.replacingOccurrences(of: "${holder}", with: holder) }
    }

    package func acquire(holder: String) async throws {
        let arguments = filled(acquireCommand, holder), timeout = self.timeout
        let result: BoundedCommand.Output
        do { result = try await BlockingWork.run { try BoundedCommand.run(arguments, timeout: timeout) } } catch {
            throw GateSetupError("lock: \(arguments.first ?? ""): \(error)")
        }
        guard result.status == 0 else {
            let said = (result.out + result.err).trimmingCharacters(in: .whitespacesAndNewlines)
            throw RolloutHeld("the rollout is locked (\(arguments.first ?? "")): \(OutsideText.printable(said.isEmpty ? "exit \(result.status)" : said, limit: 300))")
        }
        self.holder.withLock { $0 = holder }
    }

    package func renew() async -> Bool {
        guard let holder = self.holder.withLock({ $0 }) else { return false }
        guard let renewCommand else { return true }
        let arguments = filled(renewCommand, holder), timeout = self.timeout
        return ((try? await BlockingWork.run { try BoundedCommand.run(arguments, timeout: timeout) })?.status ?? 1) == 0
    }

    package func release() async {
        guard let holder = self.holder.withLock({ value -> String? in defer { value = nil }; return value }) else { return }
        let arguments = filled(releaseCommand, holder), timeout = self.timeout
        _ = try? await BlockingWork.run { try BoundedCommand.run(arguments, timeout: timeout) }
    }

    package func releaseNow() {
        guard let holder = self.holder.withLock({ value -> String? in defer { value = nil }; return value }) else { return }
        _ = try? BoundedCommand.run(filled(releaseCommand, holder), timeout: min(timeout, 5))
    }
}

/// A rollout control whose changes happen under a `RolloutLock` as well as its own lease (if any).
package final class LockedRollout: RolloutControl {
    let inner: any RolloutControl
    let lock: any RolloutLock

    package init(_ inner: any RolloutControl, lock: any RolloutLock) {
        self.inner = inner
        self.lock = lock
    }

    package var renewEvery: Double { min(inner.renewEvery, 30) }
    package func current() async throws -> Int { try await inner.current() }

    package func acquire(holder: String) async throws {
        try await lock.acquire(holder: holder)
        do { try await inner.acquire(holder: holder) } catch {
            await lock.release()
            throw error
        }
    }

    package func renew() async -> Bool {
        let held = await lock.renew()
        let leased = await inner.renew()
        return held && leased
    }

    package func release() async {
        await inner.release()
        await lock.release()
    }

    package func set(_ percent: Int) async throws { try await inner.set(percent) }

    package func restoreNow(_ percent: Int) {
        inner.restoreNow(percent)
        lock.releaseNow()
    }
}
