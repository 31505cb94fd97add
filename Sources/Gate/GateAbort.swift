import Foundation
import LoadEngine
import Synchronization

/// Why a gate stopped early, and the load run to stop with it.
package final class GateAbort: Sendable {
    private let state = Mutex<(reason: String?, run: LoadRun?)>((nil, nil))

    package var reason: String? { state.withLock { $0.reason } }
    package var isAborted: Bool { reason != nil }

    /// Runs `work`, but returns nil as soon as the gate is aborted: the work is cancelled (it
    /// stops at its next check) and the gate goes on to put the rollout back and report.
    package func unlessAborted<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T? {
        let task = Task { try await work() }
        let watcher = Task {
            while !isAborted, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(100)) }
            if isAborted { task.cancel() }
        }
        defer { watcher.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T?, any Error>) in
                let once = ResumeOnce(continuation)
                Task { once.resume(with: await task.result.map { Optional($0) }) }
                Task {
                    await watcher.value
                    if self.isAborted { once.resume(with: .success(nil)) }
                }
            }
        } onCancel: {
            task.cancel()
        }
    }

    package init() {}

    /// Stops the gate: the phase under way ends within seconds, the rollout goes back, the report says why.
    package func abort(_ reason: String) {
        let run = state.withLock { state -> LoadRun? in
            state.reason = state.reason ?? reason
            return state.run
        }
        run?.stop(because: reason)
    }

    func watch(_ run: LoadRun?) {
        let reason = state.withLock { state -> String? in
            state.run = run
            return state.reason
        }
        if let reason { run?.stop(because: reason) }
    }
}

/// Resumes a continuation once, whichever of several tasks comes first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = Mutex(continuation) }

    func resume(with result: Result<T, any Error>) { continuation.withLock { $0.take() }?.resume(with: result) }
}
