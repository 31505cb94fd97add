import CWire
package import Dispatch
import Glibc
package import NIOCore
import Synchronization

/// A socket on a `WireLoop`, told what epoll saw on it: it can be read (data, an end of stream
/// or an error), or written (`EPOLLOUT`, while asked for with `WireLoop.watch(_:writes:)`).
protocol WireSocket: AnyObject {
    func handle(_ events: UInt32)
}

/// An event loop of the load engine's own: one thread, one epoll set, sockets read and written
/// directly (no channel pipeline between a socket and its connection). It is a SwiftNIO
/// `EventLoop`, so futures, promises, scheduled tasks and thread pools work with it unchanged.
package final class WireLoop: EventLoop, @unchecked Sendable {
    // Safe: `queued`, `timers`, `sockets` and `readBuffer` are touched only on the loop's own thread;
    // other threads reach it through `incoming` (behind a mutex) and the eventfd.
    private let epoll: Int32
    private let wakeup: Int32
    private let thread = Atomic<UInt>(0)
    /// Tasks from other threads; whether the loop was already woken for them; whether it has ended.
    private let incoming = Mutex<(tasks: [@Sendable () -> Void], woken: Bool, ended: Bool)>(([], false, false))
    private var queued: [() -> Void] = []
    /// The tasks of the turn being run (kept to reuse its storage).
    private var running: [() -> Void] = []
    private var timers = TimerQueue()
    /// Each registered socket, at its descriptor's index.
    private var sockets: [(any WireSocket)?] = []
    private var stopped: (@Sendable () -> Void)?
    /// False once the kernel said it has no `epoll_pwait2` (before 5.11): waits round up to milliseconds.
    private var preciseWaits = true
    /// The buffer every connection of the loop reads into (responses are parsed out of it at once).
    var readBuffer = ByteBufferAllocator().buffer(capacity: WireLoop.readSize)
    static let readSize = 65_536

    /// The thread's name as `top -H` and `perf` show it (the kernel keeps 15 bytes).
    private let name: String

    package init(name: String = "tollgate.wire") {
        self.name = name
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeup = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(epoll >= 0 && wakeup >= 0, "epoll and eventfd are required (errno \(errno))")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeup
        epoll_ctl(epoll, EPOLL_CTL_ADD, wakeup, &event)
        // OpenSSL writes to its sockets with write(2): a peer gone must be an EPIPE, not the end of the process.
        _ = Self.ignoreBrokenPipes
        var id = pthread_t()
        let created = pthread_create(&id, nil, { argument in
            Unmanaged<WireLoop>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, Unmanaged.passRetained(self).toOpaque())
        precondition(created == 0, "a thread for the event loop could not be made (\(created))")
        thread.store(UInt(id), ordering: .releasing)
        pthread_detach(id)
    }

    deinit {
        Glibc.close(epoll)
        Glibc.close(wakeup)
    }

    private static let ignoreBrokenPipes: Void = { _ = Glibc.signal(SIGPIPE, SIG_IGN) }()

    package var inEventLoop: Bool { UInt(pthread_self()) == thread.load(ordering: .relaxed) }

    /// Runs `task` on the loop; after the loop has ended, `task` is dropped.
    package func execute(_ task: @escaping @Sendable () -> Void) {
        if inEventLoop { return queued.append(task) }
        let wake = incoming.withLock { state -> Bool in
            guard !state.ended else { return false }
            state.tasks.append(task)
            defer { state.woken = true }
            return !state.woken
        }
        if wake { signal() }
    }

    @discardableResult
    package func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        let promise = makePromise(of: T.self)
        let timer = TimerQueue.Timer(due: deadline.uptimeNanoseconds, abandon: { promise.fail(EventLoopError.shutdown) }) {
            do { promise.assumeIsolatedUnsafeUnchecked().succeed(try task()) } catch { promise.fail(error) }
        }
        if inEventLoop { timers.add(timer) } else { execute { self.timers.add(timer) } }
        return Scheduled(promise: promise) {
            if self.inEventLoop { self.timers.cancel(timer) } else { self.execute { self.timers.cancel(timer) } }
        }
    }

    @discardableResult
    package func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        scheduleTask(deadline: .now() + delay, task)
    }

    /// Ends the loop once the tasks queued before are run: tasks scheduled for later fail with
    /// `EventLoopError.shutdown`; sockets still open stay open.
    package func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        execute { self.stopped = { queue.async { callback(nil) } } }
    }

    // MARK: Sockets (on the loop only)

    /// Starts telling `socket` when `fd` can be read, and written too while `writes` is set;
    /// nil, or the error number when the kernel refused (out of epoll watches or memory).
    func register(_ socket: any WireSocket, fd: Int32, writes: Bool) -> Int32? {
        guard control(EPOLL_CTL_ADD, fd, writes: writes) == 0 else { return errno }
        let index = Int(fd)
        if index >= sockets.count { sockets.append(contentsOf: repeatElement(nil, count: index + 1 - sockets.count)) }
        sockets[index] = socket
        return nil
    }

    /// Whether `fd`'s socket is told when it can be written (besides read).
    func watch(_ fd: Int32, writes: Bool) { _ = control(EPOLL_CTL_MOD, fd, writes: writes) }

    /// Stops telling anyone about `fd` and closes it.
    func close(_ fd: Int32) {
        if Int(fd) < sockets.count { sockets[Int(fd)] = nil }
        Glibc.close(fd)
    }

    private func control(_ operation: Int32, _ fd: Int32, writes: Bool) -> Int32 {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | (writes ? EPOLLOUT.rawValue : 0)
        event.data.fd = fd
        return epoll_ctl(epoll, operation, fd, &event)
    }

    // MARK: The loop

    private func signal() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeup, &one, 8)
    }

    private func run() {
        tg_name_this_thread(name)
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while true {
            runQueued()
            if let stopped, queued.isEmpty {
                incoming.withLock { $0.ended = true }
                for timer in timers.takeDue(now: .max) { timer.abandon() }
                return stopped()
            }
            let count = waitForEvents(&events)
            for index in 0..<max(0, count) {
                let event = events[index]
                let fd = Int(event.data.fd)
                if fd == Int(wakeup) {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeup, &value, 8)
                    continue
                }
                // A socket closed by an earlier event of this batch is gone from the table.
                guard fd < sockets.count, let socket = sockets[fd] else { continue }
                socket.handle(event.events)
            }
            // Taken out first: a task may schedule another.
            for timer in timers.takeDue(now: NIODeadline.now().uptimeNanoseconds) { timer.task() }
        }
    }

    /// Waits for socket events: not at all when tasks are queued, until the next timer when one is set.
    private func waitForEvents(_ events: inout [epoll_event]) -> Int {
        var timeout: timespec?
        if !queued.isEmpty {
            timeout = timespec()
        } else if let due = timers.nextDue {
            let now = NIODeadline.now().uptimeNanoseconds
            let left = due > now ? due - now : 0
            timeout = timespec(tv_sec: Int(left / 1_000_000_000), tv_nsec: Int(left % 1_000_000_000))
        }
        let epoll = self.epoll
        return events.withUnsafeMutableBufferPointer { buffer -> Int in
            if preciseWaits {
                let count: Int32
                if var timeout { count = epoll_pwait2(epoll, buffer.baseAddress, Int32(buffer.count), &timeout, nil) } else {
                    count = epoll_pwait2(epoll, buffer.baseAddress, Int32(buffer.count), nil, nil)
                }
                if count >= 0 || errno != ENOSYS { return Int(count) }
                preciseWaits = false
            }
            // Rounded up, so a timer is never run early.
            let milliseconds = timeout.map { Int32(min(Int($0.tv_sec) * 1000 + ($0.tv_nsec + 999_999) / 1_000_000, Int(Int32.max))) } ?? -1
            return Int(epoll_wait(epoll, buffer.baseAddress, Int32(buffer.count), milliseconds))
        }
    }

    private func runQueued() {
        let fromOthers = incoming.withLock { state -> [@Sendable () -> Void] in
            state.woken = false
            defer { state.tasks.removeAll(keepingCapacity: true) }
            return state.tasks
        }
        for task in fromOthers { task() }
        // Tasks queued meanwhile run in the next turn, after the sockets had theirs.
        swap(&queued, &running)
        for task in running { task() }
        running.removeAll(keepingCapacity: true)
    }
}

/// Tasks due at given monotonic times, soonest first (a binary heap; a cancelled task is
/// dropped when it comes up).
struct TimerQueue {
    final class Timer: @unchecked Sendable {
        // Safe: created for one loop; `cancelled` is set and read on that loop only.
        let due: UInt64
        let task: () -> Void
        /// Told instead, when the loop ends first.
        let abandon: () -> Void
        var cancelled = false
        init(due: UInt64, abandon: @escaping () -> Void, task: @escaping () -> Void) {
            self.due = due
            self.abandon = abandon
            self.task = task
        }
    }

    private var heap: [Timer] = []
    /// Cancelled timers still in the heap: once they are most of it, they are swept out, so
    /// timeouts cancelled by the thousand (one per connection) do not pile up.
    private var cancelledCount = 0

    var nextDue: UInt64? { heap.first?.due }

    mutating func cancel(_ timer: Timer) {
        guard !timer.cancelled else { return }
        timer.cancelled = true
        cancelledCount += 1
        guard cancelledCount > 64, cancelledCount > heap.count / 2 else { return }
        let live = heap.filter { !$0.cancelled }
        heap.removeAll(keepingCapacity: true)
        cancelledCount = 0
        for timer in live { add(timer) }
    }

    mutating func add(_ timer: Timer) {
        heap.append(timer)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns every timer due by `now`, soonest first.
    mutating func takeDue(now: UInt64) -> [Timer] {
        var due: [Timer] = []
        while let first = heap.first, first.due <= now {
            let timer = removeFirst()
            if timer.cancelled { cancelledCount -= 1 } else { due.append(timer) }
        }
        return due
    }

    private mutating func removeFirst() -> Timer {
        let first = heap[0]
        let last = heap.removeLast()
        guard !heap.isEmpty else { return first }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].due < heap[smallest].due { smallest = left }
            if right < heap.count, heap[right].due < heap[smallest].due { smallest = right }
            guard smallest != parent else { return first }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

/// A fixed set of `WireLoop`s, handed out in turn.
package final class WireLoopGroup: EventLoopGroup, Sendable {
    package let loops: [WireLoop]
    private let turn = Atomic(0)

    package init(numberOfThreads: Int, name: String = "tollgate.wire") {
        loops = (0..<max(1, numberOfThreads)).map { WireLoop(name: "\(name).\($0)") }
    }

    package func next() -> any EventLoop { loops[turn.add(1, ordering: .relaxed).oldValue % loops.count] }

    package func makeIterator() -> EventLoopIterator { EventLoopIterator(loops) }

    package func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        let left = Atomic(loops.count)
        for loop in loops {
            loop.shutdownGracefully(queue: queue) { _ in
                if left.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { callback(nil) }
            }
        }
    }

    /// Stops every loop once the tasks queued before are run.
    package func shutdownGracefully() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            shutdownGracefully(queue: .global()) { _ in continuation.resume() }
        }
    }
}
