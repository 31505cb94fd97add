import Foundation
import NIOPosix
#if canImport(Glibc)
import Glibc
import Steps
#endif

/// The threads that evaluate checks with regular expressions, off the event loops. They run at
/// a lower priority than the loops (nice 10 on Linux): a pattern that takes seconds on the
/// wrong text may delay the checks, never the requests the loops send and time.
enum CheckPool {
    static let threads = 2

    /// A started pool whose threads have lowered their priority.
    static func start() async -> NIOThreadPool {
        let pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        #if os(Linux)
        // One job per thread: each waits until all have started, so no thread takes two.
        let barrier = StartBarrier(parties: threads)
        let done = DispatchGroup()
        for _ in 0..<threads {
            done.enter()
            pool.submit { _ in
                lowerThisThreadsPriority()
                barrier.arriveAndWait()
                done.leave()
            }
        }
        await withCheckedContinuation { continuation in done.notify(queue: .global()) { continuation.resume() } }
        #endif
        return pool
    }

    #if os(Linux)
    /// nice 10 for the calling thread only (Linux applies `setpriority` to a thread id).
    private static func lowerThisThreadsPriority() {
        var buffer = [CChar](repeating: 0, count: 64)
        let length = readlink("/proc/thread-self", &buffer, buffer.count - 1)
        guard length > 0,
              let id = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: "/").last.flatMap({ id_t($0) })
        else { return }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id, 10)
    }
    #endif
}

/// Holds each arriving thread until `parties` have arrived.
private final class StartBarrier: @unchecked Sendable {
    // Safe: `arrived` is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var arrived = 0
    private let parties: Int

    init(parties: Int) { self.parties = parties }

    func arriveAndWait() {
        condition.withLock {
            arrived += 1
            condition.broadcast()
            while arrived < parties { condition.wait() }
        }
    }
}
