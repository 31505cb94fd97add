import Synchronization

/// Work a service starts beside its requests (a reconciliation after a timeout, a retry later):
/// owned here, so `stop` cancels what still runs and returns once all of it has ended — no
/// task outlives the service that started it.
package final class BackgroundTasks: Sendable {
    private struct State {
        var running: [UInt64: Task<Void, Never>] = [:]
        var next: UInt64 = 0
        var stopped = false
    }
    private let state = Mutex(State())

    package init() {}

    /// Starts `work` unless `stop` was called; `work` should end soon after it is cancelled.
    /// Returns false when the work was not started.
    @discardableResult
    package func spawn(_ work: @escaping @Sendable () async -> Void) -> Bool {
        state.withLock { state in
            guard !state.stopped else { return false }
            let id = state.next
            state.next += 1
            state.running[id] = Task { [weak self] in
                await work()
                self?.finished(id)
            }
            return true
        }
    }

    private func finished(_ id: UInt64) { _ = state.withLock { $0.running.removeValue(forKey: id) } }

    /// How many tasks are still running.
    package var count: Int { state.withLock { $0.running.count } }

    /// Starts nothing more, cancels what runs, and waits until every task has ended.
    package func stop() async {
        let tasks = state.withLock { state in
            state.stopped = true
            return Array(state.running.values)
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}
