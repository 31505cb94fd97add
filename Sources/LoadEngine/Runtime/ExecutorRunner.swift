import Foundation
import HTTPWire
import NIOCore
import Steps
import Synchronization

/// The users of one scenario on one event loop. Loop-confined.
final class LoopUsers: @unchecked Sendable {
    // Safe: only touched by tasks running on the event loop it belongs to.
    var all: [VirtualUser] = []
    var idle: [VirtualUser] = []
}

/// Runs one scenario's executor: a thread of its own keeps the schedule (it sleeps precisely
/// and hands iterations to the event loops), so no pool thread ever blocks.
final class ExecutorRunner: Sendable {
    let runtime: ScenarioRuntime
    let loops: [WireLoop]
    private let users: [LoopUsers]
    /// Users created so far.
    private let allocated = Atomic(0)
    /// Users in an iteration (open model) or looping (closed model).
    private let active = Atomic(0)
    /// Open-model iterations the scheduler dropped itself: every allowed user was already busy
    /// or about to be, so none was handed to a loop (the loops' queues stay bounded however far
    /// behind the target is).
    private let droppedBySchedule = Atomic(0)
    private let finished = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    /// Each loop's sweep for requests past their timeout.
    private let sweeps = Mutex<[RepeatedTask]>([])
    /// How often the sweep looks: a timeout fires at most this late.
    static let sweepInterval = TimeAmount.milliseconds(10)

    init(runtime: ScenarioRuntime, loops: [WireLoop]) {
        self.runtime = runtime
        self.loops = loops
        users = loops.map { _ in LoopUsers() }
    }

    var activeVUs: Int { active.load(ordering: .relaxed) }

    /// Iterations the scheduler dropped since the last call.
    func takeScheduleDrops() -> Int { droppedBySchedule.exchange(0, ordering: .relaxed) }
    var executor: Executor { runtime.scenario.executor }

    /// Starts the executor's thread; the scenario begins `startTime` after `runStart` (monotonic ns).
    func start(runStart: UInt64) {
        let tasks = loops.enumerated().map { index, loop in
            loop.scheduleRepeatedTask(initialDelay: Self.sweepInterval, delay: Self.sweepInterval) { [users] _ in
                let now = MonotonicClock.now()
                for vu in users[index].all { vu.expireIfLate(now: now) }
            }
        }
        sweeps.withLock { $0 = tasks }
        let thread = Thread { [self] in
            let begin = runStart + MonotonicClock.nanoseconds(runtime.scenario.startTime)
            if sleep(until: begin) {
                if executor.isOpen { runOpen(begin: begin) } else { runClosed(begin: begin) }
            }
            runtime.stopping.store(true, ordering: .relaxed)
            drain()
            let waiters = finished.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.done = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        thread.name = "tollgate.executor.\(runtime.scenario.name)"
        thread.start()
    }

    /// Returns when the scenario has stopped and its users are closed.
    func waitUntilFinished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = finished.withLock { state -> Bool in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Sleeps until `deadline` in short slices; false when the run is stopped meanwhile.
    private func sleep(until deadline: UInt64) -> Bool {
        while true {
            if runtime.isStopping { return false }
            let now = MonotonicClock.now()
            if now >= deadline { return true }
            MonotonicClock.sleep(until: min(deadline, now + 50_000_000))
        }
    }

    // MARK: Open model

    private func runOpen(begin: UInt64) {
        let (preAllocated, maxVUs): (Int, Int)
        switch executor {
        case .constantArrivalRate(_, _, let pre, let max), .rampingArrivalRate(_, _, let pre, let max): (preAllocated, maxVUs) = (pre, max)
        default: return
        }
        for n in 0..<min(preAllocated, maxVUs) {
            let index = n % loops.count
            let vu = VirtualUser(id: allocated.add(1, ordering: .relaxed).newValue, loop: loops[index], loopIndex: index, runtime: runtime)
            loops[index].execute { [users] in
                users[index].all.append(vu)
                users[index].idle.append(vu)
            }
        }
        var schedule = ArrivalSchedule(executor)
        var next = 0
        while let offset = schedule.nextStart() {
            let intended = begin + MonotonicClock.nanoseconds(offset)
            guard sleep(until: intended) else { return }
            let index = next % loops.count
            next &+= 1
            guard active.load(ordering: .relaxed) < maxVUs else {
                droppedBySchedule.add(1, ordering: .relaxed)
                continue
            }
            // Counted as active from now, so a drain that starts meanwhile waits for it.
            active.add(1, ordering: .relaxed)
            loops[index].execute { self.begin(intended: intended, loopIndex: index, maxVUs: maxVUs) }
        }
    }

    /// On loop `loopIndex`: starts an iteration with an idle user, a new one if the cap allows, or counts it dropped.
    private func begin(intended: UInt64, loopIndex: Int, maxVUs: Int) {
        let collector = runtime.collectors[loopIndex]
        collector.lateness(nanoseconds: MonotonicClock.now() &- intended)
        guard !runtime.isHalted else {
            active.subtract(1, ordering: .relaxed)
            return
        }
        let local = users[loopIndex]
        let vu: VirtualUser
        if let idle = local.idle.popLast() {
            vu = idle
        } else if allocated.load(ordering: .relaxed) < maxVUs {
            vu = VirtualUser(id: allocated.add(1, ordering: .relaxed).newValue, loop: loops[loopIndex], loopIndex: loopIndex, runtime: runtime)
            local.all.append(vu)
        } else {
            collector.iterationDropped()
            active.subtract(1, ordering: .relaxed)
            return
        }
        // Back to the idle users when the iteration ends: one closure per user, made once.
        if vu.nextIteration == nil {
            vu.nextIteration = { [unowned self, unowned vu, unowned local] in
                self.active.subtract(1, ordering: .relaxed)
                local.idle.append(vu)
            }
        }
        vu.runIteration(intended: intended)
    }

    // MARK: Closed model

    private func runClosed(begin: UInt64) {
        var running: [VirtualUser] = []
        let perVUIterations: Int?
        if case .perVUIterations(_, let iterations, _) = executor { perVUIterations = iterations } else { perVUIterations = nil }
        let duration = executor.duration
        while true {
            let elapsed = Double(MonotonicClock.now() &- begin) / 1e9
            if elapsed >= duration || runtime.isStopping { return }
            let wanted = perVUIterations == nil ? executor.targetVUs(at: elapsed) : (running.isEmpty ? executor.targetVUs(at: 0) : running.count)
            while running.count < wanted {
                let id = allocated.add(1, ordering: .relaxed).newValue
                let index = (id - 1) % loops.count
                let vu = VirtualUser(id: id, loop: loops[index], loopIndex: index, runtime: runtime)
                running.append(vu)
                active.add(1, ordering: .relaxed)
                loops[index].execute { [users] in
                    users[index].all.append(vu)
                    self.loopIterations(vu, limit: perVUIterations)
                }
            }
            while running.count > wanted, let vu = running.popLast() {
                vu.loop.execute { vu.retiring = true }
            }
            if perVUIterations != nil, activeVUs == 0 { return }
            _ = sleep(until: MonotonicClock.now() + 50_000_000)
        }
    }

    /// On the user's loop: the next iteration, unless the user is done.
    private func loopIterations(_ vu: VirtualUser, limit: Int?) {
        if runtime.isStopping || vu.retiring || limit.map({ vu.iterations >= $0 }) ?? false {
            active.subtract(1, ordering: .relaxed)
            vu.close()
            return
        }
        // The iteration ends in a response callback on this loop, so going on from there does
        // not nest: each iteration starts from the event loop's own call. One closure per user,
        // made once, not one per iteration (no cycle: it holds neither; both outlive its calls).
        if vu.nextIteration == nil { vu.nextIteration = { [unowned self, unowned vu] in self.loopIterations(vu, limit: limit) } }
        vu.runIteration(intended: vu.nextIterationDue ?? MonotonicClock.now())
    }

    // MARK: Stopping

    /// Lets iterations in flight finish for up to the scenario's graceful stop; then those still
    /// running start no new request and the requests they sent get their own timeout to be
    /// answered (each counts: answered, or a timeout); then every connection closes.
    private func drain() {
        let deadline = MonotonicClock.now() + MonotonicClock.nanoseconds(runtime.scenario.gracefulStop)
        while activeVUs > 0, !runtime.isHalted, MonotonicClock.now() < deadline {
            MonotonicClock.sleep(until: MonotonicClock.now() + 5_000_000)
        }
        runtime.winding.store(true, ordering: .relaxed)
        let answerBy = MonotonicClock.now() + MonotonicClock.nanoseconds(runtime.longestTimeout) + 50_000_000
        while runtime.inFlight.load(ordering: .relaxed) > 0, !runtime.isHalted, MonotonicClock.now() < answerBy {
            MonotonicClock.sleep(until: MonotonicClock.now() + 5_000_000)
        }
        halt()
    }

    /// Ends what is in flight — requests waiting for an answer count as timeouts — and closes every connection.
    func halt() {
        runtime.stopping.store(true, ordering: .relaxed)
        runtime.halted.store(true, ordering: .relaxed)
        for sweep in sweeps.withLock({ $0 }) { sweep.cancel() }
        let gracefulStop = runtime.scenario.gracefulStop
        for (index, loop) in loops.enumerated() {
            let local = users[index]
            loop.execute {
                for vu in local.all { vu.endRun(gracefulStop: gracefulStop) }
                local.idle.removeAll()
            }
        }
    }
}
