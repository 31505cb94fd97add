import Foundation
import HTTPWire
import NIOCore
import Synchronization
import Testing

/// The load engine's own event loop: tasks from any thread, timers in order, cancellation, shutdown.
@Suite struct WireLoopTests {
    @Test func tasksFromOtherThreadsAllRunOnTheLoopInTheOrderEachThreadGaveThem() async throws {
        let loop = WireLoop()
        let seen = Seen()
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<4 {
                group.addTask {
                    for n in 0..<2_000 {
                        loop.execute {
                            if !loop.inEventLoop { seen.offLoop.add(1, ordering: .relaxed) }
                            seen.values.withLock { $0[thread, default: []].append(n) }
                        }
                    }
                }
            }
        }
        try await loop.submit {}.get()
        #expect(seen.offLoop.load(ordering: .relaxed) == 0)
        for thread in 0..<4 { #expect(seen.values.withLock { $0[thread] } == Array(0..<2_000), "thread \(thread)") }
        #expect(!loop.inEventLoop)
        try await loop.shutdownGracefully()
    }

    @Test func timersRunInDeadlineOrderAndACancelledOneNever() async throws {
        let loop = WireLoop()
        let order = Mutex<[Int]>([])
        let now = NIODeadline.now()
        let nested = loop.makePromise(of: Void.self)
        // Set up in one task on the loop, so a busy machine cannot run a timer before its cancellation.
        let (early, late, cancelled) = try await loop.submit {
            let late = loop.scheduleTask(deadline: now + .milliseconds(60)) { order.withLock { $0.append(3) } }
            let cancelled = loop.scheduleTask(deadline: now + .milliseconds(30)) { order.withLock { $0.append(99) } }
            let early = loop.scheduleTask(deadline: now + .milliseconds(10)) {
                order.withLock { $0.append(1) }
                // A timer's task schedules another (it runs after the heap is out of the way).
                loop.scheduleTask(in: .milliseconds(1)) { nested.succeed() }
            }
            loop.scheduleTask(deadline: now + .milliseconds(40)) { order.withLock { $0.append(2) } }
            cancelled.cancel()
            return (early, late, cancelled)
        }.get()
        try await early.futureResult.get()
        try await late.futureResult.get()
        try await nested.futureResult.get()
        #expect(order.withLock { $0 } == [1, 2, 3])
        await #expect(throws: EventLoopError.self) { try await cancelled.futureResult.get() }
        #expect(NIODeadline.now() >= now + .milliseconds(60), "never early")
        try await loop.shutdownGracefully()
    }

    @Test func manyCancelledTimersDoNotStopTheLiveOnes() async throws {
        let loop = WireLoop()
        let ran = Atomic(0)
        let live = (0..<50).map { n in loop.scheduleTask(in: .milliseconds(Int64(5 + n))) { _ = ran.add(1, ordering: .relaxed) } }
        // A connect timeout per new connection, each cancelled: swept out, never run.
        for _ in 0..<5_000 { loop.scheduleTask(in: .seconds(30)) { _ = ran.add(1_000, ordering: .relaxed) }.cancel() }
        for task in live { try await task.futureResult.get() }
        #expect(ran.load(ordering: .relaxed) == 50)
        try await loop.shutdownGracefully()
    }

    @Test func aGroupHandsOutItsLoopsInTurnAndShutsThemAllDown() async throws {
        let group = WireLoopGroup(numberOfThreads: 3, name: "wiretest")
        // Named, so top -H and perf show whose threads they are.
        let name = try await group.loops[2].submit { try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8) }.get()
        #expect(name.trimmingCharacters(in: .newlines) == "wiretest.2")
        let handedOut = (0..<6).map { _ in ObjectIdentifier(group.next()) }
        #expect(Set(handedOut).count == 3 && handedOut[0] == handedOut[3])
        let ran = Atomic(0)
        for loop in group.loops { loop.execute { _ = ran.add(1, ordering: .relaxed) } }
        let later = group.loops[0].scheduleTask(in: .seconds(60)) {}
        let abandoned = Mutex<(any Error)?>(nil)
        // Told on the loop (a future's callbacks are added there, and after the end nothing runs there).
        try await group.loops[0].submit { later.futureResult.whenFailure { error in abandoned.withLock { $0 = error } } }.get()
        await group.shutdownGracefully()
        #expect(ran.load(ordering: .relaxed) == 3, "tasks queued before the shutdown ran")
        #expect(abandoned.withLock { $0 as? EventLoopError } == .shutdown, "a task not due yet fails at the end")
    }
}

/// What the loop's tasks saw, shared with them.
private final class Seen: Sendable {
    let values = Mutex<[Int: [Int]]>([:])
    let offLoop = Atomic(0)
}
