import Foundation

/// Runs `body` — synchronous code that blocks (a libpq query, a socket read, a child process) —
/// on a thread of its own while staying in the calling task: the test's task-locals still hold,
/// so an `#expect` inside is recorded against the test, and no thread of the cooperative pool
/// (which the in-process services under test answer on) waits with it.
public func onItsOwnThread<T>(_ body: () throws -> T) async throws -> T {
    let executor = ThreadExecutor()
    defer { executor.shutDown() }
    return try await withTaskExecutorPreference(executor) {
        try body()
    }
}

/// A task executor with one dedicated thread, for `onItsOwnThread`.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    // Safe: `jobs` and `running` are read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var running = true

    init() {
        let thread = Thread { [self] in serve() }
        thread.name = "tollgate.tests.own-thread"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.withLock {
            jobs.append(unowned)
            condition.signal()
        }
    }

    func shutDown() {
        condition.withLock {
            running = false
            condition.signal()
        }
    }

    private func serve() {
        while true {
            let next: UnownedJob? = condition.withLock {
                while jobs.isEmpty && running { condition.wait() }
                return jobs.isEmpty ? nil : jobs.removeFirst()
            }
            guard let next else { return }
            next.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
