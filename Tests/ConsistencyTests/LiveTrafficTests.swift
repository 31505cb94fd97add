@testable import Consistency
import Foundation
import TestSupport
import Testing
import Transport
import TransportPostgres

/// Comparisons while rows are being written: a row in flight is not a lost row.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"] != nil,
                "needs PostgreSQL: TOLLGATE_TEST_DATABASE_URL is not set (make test starts a server)"))
struct LiveTrafficTests {
    /// A writer inserts and updates orders on the source and copies each change to the target 300 ms
    /// later, for the whole comparison; one row is really lost (never copied), one is changed on
    /// the target and repaired within the window.
    @Test func rowsInFlightAreNotCountedAndALostRowIsFoundExactly() async throws {
        try await withDatabasesAsync { sourceURL, targetURL in
            for url in [sourceURL, targetURL] {
                try PostgresConnection(url: url).execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text NOT NULL, total numeric(12,2))")
            }
            let source = try PostgresConnection(url: sourceURL), target = try PostgresConnection(url: targetURL)
            try source.execute("INSERT INTO orders SELECT n, 'pending', n FROM generate_series(1, 3000) n")
            try target.execute("INSERT INTO orders SELECT n, 'pending', n FROM generate_series(1, 3000) n")
            try source.execute("INSERT INTO orders VALUES (424242, 'confirmed', 1)")  // lost: never reaches the target
            try target.execute("UPDATE orders SET status = 'garbled' WHERE id = 77")  // repaired below, inside the window

            let writer = DelayedReplica(sourceURL: sourceURL, targetURL: targetURL, delay: 0.3, pace: 0.005,
                                        pending: [(Date().addingTimeInterval(0.3), "UPDATE orders SET status = 'pending' WHERE id = 77")])
            writer.start()
            defer { writer.stop() }
            // Traffic is under way, and its first copies (and the repair of 77) have reached the target.
            let flowing = try await onItsOwnThread { writer.waitUntilCopied(atLeast: 20, within: 30) }
            #expect(flowing, "the writer copied its first changes")
            var request = ComparisonRequest(source: TableLocation(url: sourceURL, table: "orders"), target: TableLocation(url: targetURL, table: "orders"), key: "id")
            request.batch = 200
            request.recheck = RecheckPolicy(after: 1, rounds: 3)
            // The re-check's premise is a replica whose lag is under `after`: each wait also lasts until every
            // change made before it has been copied (a loaded machine can hold the writer back longer than 1 s).
            request.waitBeforeRecheck = { seconds in writer.waitUntilCaughtUp(after: seconds, within: 30) }
            let first = request
            let result = try await BlockingWork.run { try TableComparer.compare(first) }
            #expect(writer.catchUpsMissed == 0, "the writer copied what was in flight before each re-check")
            #expect(result.firstPassInconsistentRows >= 1)
            #expect(result.missingInTarget == 1 && result.examples.missingInTarget == ["424242"], "\(result)")
            #expect(result.differing == 0 && result.missingInSource == 0, "rows in flight or repaired are not inconsistent: \(result)")
            #expect(result.recheckRounds >= 1)

            // Without re-checks the same traffic reads as inconsistent: the first pass alone is what the gate used to judge.
            request.recheck = .none
            request.waitBeforeRecheck = nil
            let second = request
            let once = try await BlockingWork.run { try TableComparer.compare(second) }
            #expect(once.recheckRounds == 0 && once.inconsistentRows == once.firstPassInconsistentRows)
        }
    }
}

/// Live traffic: a new order and a status change on the source every `pace` seconds, each copied to
/// the target `delay` seconds later, until `stop` (which returns once the writer has finished).
final class DelayedReplica: @unchecked Sendable {
    // Safe: every `var` is read and written only under `condition`'s lock.
    private let condition = NSCondition()
    private var stopping = false
    private var finished = false
    /// Changes made on the source and due on the target, and of those, how many reached it (in order).
    private var queued = 0
    private var copied = 0
    private var missed = 0
    private let sourceURL: String, targetURL: String, delay: TimeInterval, pace: TimeInterval
    private let initiallyPending: [(due: Date, sql: String)]

    init(sourceURL: String, targetURL: String, delay: TimeInterval, pace: TimeInterval, pending: [(due: Date, sql: String)]) {
        (self.sourceURL, self.targetURL, self.delay, self.pace, initiallyPending) = (sourceURL, targetURL, delay, pace, pending)
    }

    func start() {
        Thread { [self] in
            defer { condition.withLock { finished = true; condition.broadcast() } }
            guard let source = try? PostgresConnection(url: sourceURL), let target = try? PostgresConnection(url: targetURL) else { return }
            var next = 5_000
            var queue = initiallyPending
            condition.withLock { queued = queue.count }
            var tick = Date()
            while true {
                next += 1
                let changed = Int.random(in: 1...3000)
                condition.withLock { queued += 2 }  // before the source has them: a change seen there is counted
                _ = try? source.execute("INSERT INTO orders VALUES ($1, 'pending', 10)", [next])
                _ = try? source.execute("UPDATE orders SET status = 'confirmed' WHERE id = $1", [changed])
                let due = Date().addingTimeInterval(delay)
                queue.append((due, "INSERT INTO orders VALUES (\(next), 'pending', 10)"))
                queue.append((due, "UPDATE orders SET status = 'confirmed' WHERE id = \(changed)"))
                var applied = 0
                while let first = queue.first, first.due <= Date() {
                    _ = try? target.execute(first.sql)
                    queue.removeFirst()
                    applied += 1
                }
                if applied > 0 { condition.withLock { copied += applied; condition.broadcast() } }
                tick = max(tick.addingTimeInterval(pace), Date())
                let stop = condition.withLock {
                    while !stopping, condition.wait(until: tick) {}
                    return stopping
                }
                if stop { return }
            }
        }.start()
    }

    /// Waits until `count` changes have reached the target, or `seconds` pass; whether they did.
    func waitUntilCopied(atLeast count: Int, within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        return condition.withLock {
            while copied < count, !finished, condition.wait(until: deadline) {}
            return copied >= count
        }
    }

    /// Waits `seconds`, and then until every change made before the call has reached the target,
    /// or `within` seconds pass (counted in `catchUpsMissed`).
    func waitUntilCaughtUp(after seconds: Double, within limit: Double) {
        let start = Date()
        let (end, deadline) = (start.addingTimeInterval(seconds), start.addingTimeInterval(limit))
        condition.withLock {
            let made = queued
            while Date() < end, !finished, condition.wait(until: end) {}
            while copied < made, !finished, condition.wait(until: deadline) {}
            if copied < made { missed += 1 }
        }
    }

    /// How many `waitUntilCaughtUp` calls ended before the target had caught up.
    var catchUpsMissed: Int { condition.withLock { missed } }

    func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
            while !finished { condition.wait() }
        }
    }
}

/// Keys and values of every kind compare correctly.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"] != nil,
                "needs PostgreSQL: TOLLGATE_TEST_DATABASE_URL is not set (make test starts a server)"))
struct ColumnAndKeyTests {
    /// Compares with one bucket per table and with buckets of two rows (sampled boundaries,
    /// checksums per bucket, cuts, on three connections): both must find the same.
    static func compare(_ sourceURL: String, _ targetURL: String, table: String = "t", key: String = "k", batch: Int = 1,
                        filter: String? = nil) throws -> TableComparison {
        var request = ComparisonRequest(source: TableLocation(url: sourceURL, table: table), target: TableLocation(url: targetURL, table: table), key: key)
        request.batch = batch
        request.recheck = RecheckPolicy(after: 0, rounds: 1)
        request.filter = filter.flatMap(RowFilter.init(parsing:))
        let whole = try TableComparer.compare(request)
        request.bucketRows = 2
        request.parallel = 3
        var bucketed = try TableComparer.compare(request)
        #expect(bucketed.rowsRead <= whole.rowsRead, "buckets read no more rows than one bucket")
        bucketed.rowsRead = whole.rowsRead
        #expect(bucketed == whole, "small buckets find what one bucket finds")
        return whole
    }

    /// The key column sorts in an ICU collation: reading in byte order must also continue in byte order.
    @Test func textKeysInAnICUCollationAreAllRead() async throws {
        try await onItsOwnThread {
            try withDatabases { sourceURL, targetURL in
                let keys = ["a", "B", "_x", "b", "A", "Z", "ä", "1", "a-b", "ab"]
                for url in [sourceURL, targetURL] {
                    let db = try PostgresConnection(url: url)
                    try db.execute("CREATE TABLE t (k text COLLATE \"en-US-x-icu\" PRIMARY KEY, v text)")
                    for key in keys { try db.execute("INSERT INTO t VALUES ($1, 'same')", [key]) }
                }
                try PostgresConnection(url: sourceURL).execute("INSERT INTO t VALUES ('aa', 'only here')")
                let result = try Self.compare(sourceURL, targetURL)
                #expect(result.sourceRows == 11 && result.targetRows == 10, "\(result)")
                #expect(result.missingInTarget == 1 && result.examples.missingInTarget == ["aa"] && result.differing == 0, "\(result)")
            }
        }
    }

    /// NULL differs from the text `\N`, and values cannot run into each other across columns.
    @Test func digestsAreUnambiguous() async throws {
        try await onItsOwnThread {
            try withDatabases { sourceURL, targetURL in
                for url in [sourceURL, targetURL] { try PostgresConnection(url: url).execute("CREATE TABLE t (k int PRIMARY KEY, a text, b text)") }
                try PostgresConnection(url: sourceURL).execute(#"INSERT INTO t VALUES (1, NULL, 'x'), (2, E'a\x1fb', 'c'), (3, 'N', NULL)"#)
                try PostgresConnection(url: targetURL).execute(#"INSERT INTO t VALUES (1, E'\\N', 'x'), (2, 'a', E'b\x1fc'), (3, NULL, 'N')"#)
                let result = try Self.compare(sourceURL, targetURL, batch: 10)
                #expect(result.differing == 3, "\(result)")
            }
        }
    }

    @Test func nullOrRepeatedKeysAreRefusedUpFront() async throws {
        try await onItsOwnThread {
            try withDatabases { sourceURL, targetURL in
                for url in [sourceURL, targetURL] {
                    let db = try PostgresConnection(url: url)
                    try db.execute("CREATE TABLE n (k integer, v text)")
                    try db.execute("CREATE TABLE s (k text, v text)")
                    try db.execute("CREATE TABLE d (k integer, v text)")
                    try db.execute("INSERT INTO n VALUES (1, 'a'), (NULL, 'b')")
                    try db.execute("INSERT INTO s VALUES ('x', 'a'), (NULL, 'b')")
                    try db.execute("INSERT INTO d VALUES (1, 'a'), (2, 'b'), (2, 'c')")
                }
                for (table, words) in [("n", "is NULL in some rows"), ("s", "is NULL in some rows"), ("d", "is not unique (2 rows have k = 2)")] {
                    do {
                        _ = try Self.compare(sourceURL, targetURL, table: table)
                        Issue.record("\(table) was compared")
                    } catch let error as ConsistencyError {
                        #expect(error.message.contains("public.\(table)") && error.message.contains(words), "\(error)")
                    }
                }
            }
        }
    }

    /// bigint keys on one side, numeric on the other (1 and 1.0 are the same key).
    @Test func numericKeysCompareByValueAcrossTypes() async throws {
        try await onItsOwnThread {
            try withDatabases { sourceURL, targetURL in
                try PostgresConnection(url: sourceURL).execute("CREATE TABLE t (k bigint PRIMARY KEY, v text)")
                try PostgresConnection(url: targetURL).execute("CREATE TABLE t (k numeric(20,2) PRIMARY KEY, v text)")
                try PostgresConnection(url: sourceURL).execute("INSERT INTO t SELECT n, 'v' FROM generate_series(1, 30) n")
                try PostgresConnection(url: targetURL).execute("INSERT INTO t SELECT n, 'v' FROM generate_series(1, 30) n WHERE n <> 17")
                try PostgresConnection(url: targetURL).execute("INSERT INTO t VALUES (2.5, 'v')")
                let result = try Self.compare(sourceURL, targetURL, batch: 4)
                #expect(result.sourceRows == 30 && result.targetRows == 30, "\(result)")
                #expect(result.examples.missingInTarget == ["17"] && result.examples.missingInSource == ["2.5"] && result.differing == 0, "\(result)")
            }
        }
    }

    /// uuid keys bucket in their own order, which is their text's in byte order: against the same
    /// keys stored as text on the other side, buckets agree key for key.
    @Test func uuidKeysBucketInByteOrder() async throws {
        try await onItsOwnThread {
            try withDatabases { sourceURL, targetURL in
                let source = try PostgresConnection(url: sourceURL), target = try PostgresConnection(url: targetURL)
                try source.execute("CREATE TABLE t (k uuid PRIMARY KEY, v text)")
                try source.execute("INSERT INTO t SELECT md5(n::text)::uuid, 'v' FROM generate_series(1, 200) n")
                try target.execute("CREATE TABLE u (k uuid PRIMARY KEY, v text)")
                try target.execute("CREATE TABLE t (k text PRIMARY KEY, v text)")
                for table in ["t", "u"] {
                    try target.execute("INSERT INTO \(table) SELECT md5(n::text)::uuid, 'v' FROM generate_series(1, 200) n WHERE n <> 50")
                    try target.execute("UPDATE \(table) SET v = 'w' WHERE k = md5('60')::uuid\(table == "t" ? "::text" : "")")
                }
                let lost = try source.query("SELECT md5('50')::uuid::text AS k, md5('60')::uuid::text AS c").first!
                let asText = try Self.compare(sourceURL, targetURL, batch: 7)
                #expect(asText.sourceRows == 200 && asText.targetRows == 199, "\(asText)")
                #expect(asText.examples.missingInTarget == [lost["k"]!] && asText.examples.differing.map(\.key) == [lost["c"]!], "\(asText)")
                // uuid on both sides: the native order.
                try source.execute("ALTER TABLE t RENAME TO u")
                let native = try Self.compare(sourceURL, targetURL, table: "u", batch: 7)
                #expect(native.examples.missingInTarget == [lost["k"]!] && native.examples.differing.map(\.key) == [lost["c"]!], "\(native)")
            }
        }
    }

    /// Enum keys, and a filter on an enum column, are cast by their real type.
    @Test func enumKeysAndFiltersWork() async throws {
        try await onItsOwnThread {
            try withDatabases { sourceURL, targetURL in
                for url in [sourceURL, targetURL] {
                    let db = try PostgresConnection(url: url)
                    try db.execute("CREATE TYPE state AS ENUM ('pending', 'confirmed', 'cancelled')")
                    try db.execute("CREATE TABLE t (k state PRIMARY KEY, v text)")
                    try db.execute("INSERT INTO t VALUES ('pending', 'a'), ('confirmed', 'b'), ('cancelled', 'c')")
                }
                try PostgresConnection(url: targetURL).execute("UPDATE t SET v = 'changed' WHERE k = 'cancelled'")
                let result = try Self.compare(sourceURL, targetURL)
                #expect(result.sourceRows == 3 && result.differing == 1 && result.examples.differing.first?.key == "cancelled", "\(result)")
                let filtered = try Self.compare(sourceURL, targetURL, filter: "k = confirmed")
                #expect(filtered.sourceRows == 1 && filtered.inconsistentRows == 0, "\(filtered)")
            }
        }
    }
}

/// The comparer's re-check logic on sides held in memory.
@Suite struct RecheckTests {
    /// A side whose rows can change between reads.
    final class MemorySide: ComparedSide, @unchecked Sendable {
        // Safe: each test uses it from one thread.
        let description: String
        var rows: [String: String]
        let keysPerLookup = 2
        private var read = false
        init(_ name: String, _ rows: [String: String]) {
            description = name
            self.rows = rows
        }
        func nextBatch() throws -> [RowDigest] {
            defer { read = true }
            return read ? [] : rows.keys.sorted { Int($0)! < Int($1)! }.map { RowDigest(key: $0, digest: rows[$0]!) }
        }
        func digests(keys: [String]) throws -> [RowDigest] {
            #expect(keys.count <= keysPerLookup)
            return keys.compactMap { key in rows[key].map { RowDigest(key: key, digest: $0) } }
        }
        func values(key: String) throws -> [String?]? { rows[key].map { [$0] } }
    }

    @Test func onlyRowsStillInconsistentAtTheLastRecheckCount() throws {
        let source = MemorySide("s", ["1": "a", "2": "b", "3": "c", "4": "d", "5": "e"])
        let target = MemorySide("t", ["1": "a", "2": "old", "3": "c", "5": "e", "6": "f"])
        var sleeps = 0
        let result = try RowComparer.compare(source: source, target: target, order: .numeric, columns: ["v"], targetMayHaveMore: false,
                                             policy: RecheckPolicy(after: 2, rounds: 3), sleep: { seconds in
            #expect(seconds == 2)
            sleeps += 1
            // Key 2 is in flight: written again before the first re-check, caught up before the
            // second. Key 6 was deleted on the target meanwhile. Key 4 never changes.
            target.rows["2"] = sleeps == 1 ? "newer" : "b"
            target.rows["6"] = nil
        })
        #expect(result.firstPass == TableComparison.Counts(missingInTarget: 1, missingInSource: 1, differing: 1))
        #expect(result.confirmed == TableComparison.Counts(missingInTarget: 1, missingInSource: 0, differing: 0), "\(result)")
        // Key 4 read the same at the first re-check: settled, not read again; key 2 changed, so it was.
        #expect(result.recheckRounds == 2 && sleeps == 2 && result.examples.missingInTarget == ["4"] && !result.atLeast, "\(result)")
    }

    /// Lasting differences (the same on both sides read after read) are confirmed at the first
    /// re-check, not after every round: 300 of them took three waits with the defaults.
    @Test func lastingDifferencesAreConfirmedAtTheFirstRecheck() throws {
        let keys = (1...1_000).map(String.init)
        let source = MemorySide("s", Dictionary(uniqueKeysWithValues: keys.map { ($0, "v") }))
        let target = MemorySide("t", Dictionary(uniqueKeysWithValues: keys.map { ($0, Int($0)! <= 300 ? "stale" : "v") }))
        var sleeps = 0
        let result = try RowComparer.compare(source: source, target: target, order: .numeric, columns: ["v"], targetMayHaveMore: false,
                                             policy: RecheckPolicy(after: 5, rounds: 3), sleep: { _ in sleeps += 1 })
        #expect(sleeps == 1 && result.recheckRounds == 1 && result.differing == 300 && result.firstPass.differing == 300, "\(result)")
    }

    @Test func recheckingStopsWhenNothingIsLeft() throws {
        let source = MemorySide("s", ["1": "a", "2": "new"]), target = MemorySide("t", ["1": "a", "2": "old"])
        var sleeps = 0
        let result = try RowComparer.compare(source: source, target: target, order: .numeric, columns: ["v"], targetMayHaveMore: false,
                                             policy: RecheckPolicy(after: 5, rounds: 3), sleep: { _ in
            sleeps += 1
            target.rows["2"] = "new"
        })
        #expect(sleeps == 1 && result.inconsistentRows == 0 && result.firstPassInconsistentRows == 1 && result.examples.differing.isEmpty)
    }

    @Test func pastTheKeptKeysTheResultIsALowerBound() throws {
        let source = MemorySide("s", Dictionary(uniqueKeysWithValues: (1...10).map { (String($0), "a") }))
        let target = MemorySide("t", [:])
        let result = try RowComparer.compare(source: source, target: target, order: .numeric, columns: ["v"], targetMayHaveMore: false,
                                             policy: RecheckPolicy(after: 0, rounds: 1), mismatchLimit: 4, sleep: { _ in })
        #expect(result.firstPass.missingInTarget == 10 && result.missingInTarget == 4 && result.atLeast)
        #expect(result.summary.hasPrefix("at least 4 of 10 rows"))
    }

    /// A stop (Ctrl-C in a gate) ends a comparison while it waits to re-check, within a tenth of a second.
    @Test func aStopIsHonouredWhileWaitingToRecheck() async {
        // Off the cooperative pool: the comparison waits (as it does in a gate). Timed from its own
        // start: a busy machine may queue the work itself.
        let (stopped, seconds) = await BlockingWork.run { () -> (Bool, Double) in
            let source = MemorySide("s", ["1": "a"]), target = MemorySide("t", ["1": "b"])
            let begun = Date()
            do {
                _ = try RowComparer.compare(source: source, target: target, order: .numeric, columns: ["v"], targetMayHaveMore: false,
                                            policy: RecheckPolicy(after: 30, rounds: 3), shouldStop: { Date().timeIntervalSince(begun) > 0.2 })
                return (false, Date().timeIntervalSince(begun))
            } catch { return (error is ConsistencyError, Date().timeIntervalSince(begun)) }
        }
        #expect(stopped && seconds < 5, "stopped \(stopped) after \(seconds) s of a 30 s wait")
    }
}
