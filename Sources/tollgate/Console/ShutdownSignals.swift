import Foundation
import Synchronization

/// SIGINT and SIGTERM for long-running commands: the first asks for a graceful stop, a second
/// one exits at once (status 130), as users of servers expect from a second Ctrl-C.
final class ShutdownSignals: Sendable {
    static let shared = ShutdownSignals(installingHandlers: true)

    /// Catches SIGINT and SIGTERM from now on (idempotent). A command calls it before its first
    /// side effect: a Ctrl-C that came before the handlers would kill it on the spot — a gate that
    /// had already moved the rollout would leave it moved.
    static func install() { _ = shared }

    private let state = Mutex<State>(State())
    private struct State {
        var received = false
        /// Waiting tasks by ticket, so a cancelled waiter leaves (and resumes) at once.
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextTicket: UInt64 = 0
        /// Runs on the second signal, before the process exits.
        var lastWords: (@Sendable () -> Void)?
    }
    private let sources = SignalSources()

    /// `installingHandlers` false gives one that only a call to `received()` wakes (tests).
    init(installingHandlers: Bool) {
        guard installingHandlers else { return }
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let queue = DispatchQueue(label: "tollgate.signals")
        var installed: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in self?.received() }
            source.resume()
            installed.append(source)
        }
        sources.keep(installed)
    }

    /// A signal arrived: the first wakes every waiter, a second exits at once.
    func received() {
        let (first, waiters, lastWords) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>], (@Sendable () -> Void)?) in
            defer { state.received = true; state.waiters = [:] }
            return (!state.received, Array(state.waiters.values), state.lastWords)
        }
        guard first else {
            FileHandle.standardError.write(Data("\nSecond signal: exiting now.\n".utf8))
            // On the signal queue, not the cooperative pool: blocking here is fine and brief.
            lastWords?()
            exit(130)
        }
        waiters.forEach { $0.resume() }
    }

    /// Whether a SIGINT or SIGTERM has arrived (for blocking waits that poll).
    var hasReceived: Bool { state.withLock { $0.received } }

    /// Tasks waiting in `wait()` now.
    var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// What must still happen if a second signal ends the process at once (put a rollout back).
    func beforeExiting(_ action: @escaping @Sendable () -> Void) {
        state.withLock { $0.lastWords = action }
    }

    /// Returns when the first SIGINT or SIGTERM arrives (at once if one already did), or when
    /// the waiting task is cancelled: a waiter never outlives its owner (the demo's first gate
    /// leaves none behind for the second's signal).
    func wait() async {
        let ticket = state.withLock { state -> UInt64 in
            defer { state.nextTicket += 1 }
            return state.nextTicket
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.received || Task.isCancelled { return true }
                    state.waiters[ticket] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: ticket) }?.resume()
        }
    }
}

/// The installed signal sources, kept for the life of the process (a released source stops
/// delivering).
private final class SignalSources: @unchecked Sendable {
    // Safe: written once during `ShutdownSignals.init`, before any other thread can see it.
    private var sources: [any DispatchSourceSignal] = []
    func keep(_ sources: [any DispatchSourceSignal]) { self.sources = sources }
}

/// Waits for the first SIGINT or SIGTERM.
func waitForShutdownSignal() async {
    await ShutdownSignals.shared.wait()
}

/// Runs `stop`, giving up after `seconds`: a stop that hangs (a request waiting on a slow peer)
/// must not keep the process alive. Returns whether `stop` finished in time.
func stopWithin(_ seconds: Double, _ stop: @escaping @Sendable () async -> Void) async -> Bool {
    await firstOf({ await stop(); return true }, { try? await Task.sleep(for: .seconds(seconds)); return false })
}

/// The value of whichever of `first` and `second` finishes first; the other is left to run
/// (it may not respond to cancellation, and the caller need not wait for it).
func firstOf<T: Sendable>(_ first: @escaping @Sendable () async -> T, _ second: @escaping @Sendable () async -> T) async -> T {
    let outcome = FirstOutcome<T>()
    return await withCheckedContinuation { continuation in
        outcome.set(continuation)
        Task { outcome.resume(await first()) }
        Task { outcome.resume(await second()) }
    }
}

/// Resumes a waiting continuation with whichever outcome comes first.
private final class FirstOutcome<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, Never>?>(nil)
    func set(_ waiting: CheckedContinuation<T, Never>) { continuation.withLock { $0 = waiting } }
    func resume(_ value: T) {
        let waiting = continuation.withLock { stored in
            defer { stored = nil }
            return stored
        }
        waiting?.resume(returning: value)
    }
}
