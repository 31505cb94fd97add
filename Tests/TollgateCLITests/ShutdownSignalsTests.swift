import TestSupport
import Testing
@testable import tollgate

/// The waiters of a shutdown signal belong to the task that waits: the demo runs two gates in
/// a row, and the first must leave no waiter behind for a Ctrl-C during the second.
@Suite struct ShutdownSignalsTests {
    @Test func aCancelledWaiterLeavesAtOnceAndASignalWakesTheOthers() async {
        let signals = ShutdownSignals(installingHandlers: false)
        let firstGate = Task { await signals.wait() }
        let secondGate = Task { await signals.wait() }
        #expect(await eventually(timeout: 10) { signals.waiterCount == 2 })
        firstGate.cancel()
        await firstGate.value
        #expect(signals.waiterCount == 1, "the cancelled gate's waiter is gone")
        signals.received()
        await secondGate.value
        #expect(signals.waiterCount == 0)
        // After the signal, a new waiter returns at once.
        await signals.wait()
    }
}
