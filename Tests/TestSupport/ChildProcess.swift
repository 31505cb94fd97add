public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, for tests that run the built binary or a peer.
///
/// Not Foundation's `Process`: on Linux with Swift 6.3 its `run()` over-reads
/// `/proc/self/fd` entries and crashes now and then when other threads open descriptors
/// (swift-corelibs-foundation PR #5472). The child inherits no descriptor but its standard
/// streams, so it cannot keep a test's sockets open.
public final class ChildProcess: @unchecked Sendable {
    // Safe: `pid` and the descriptors are constants; `status` is only written by `wait()`
    // under `lock`.
    public let pid: pid_t
    private let outputFD: Int32?
    private let errorFD: Int32?
    private let lock = NSLock()
    private var status: (code: Int32, signalled: Bool)?

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Starts `executable` with `arguments` in `directory`; standard output and error are
    /// readable from this object when captured, else they go to /dev/null — or standard error
    /// to `errorFile` when one is named (a long-running child's log, read when it fails).
    public init(_ executable: String, _ arguments: [String], directory: String? = nil,
                captureOutput: Bool = true, captureError: Bool = true, errorFile: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var pipes: [(read: Int32, write: Int32)] = []
        func redirect(_ capture: Bool, to target: Int32) -> Int32? {
            guard capture else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
                return nil
            }
            var fds: [Int32] = [0, 0]
            pipe(&fds)
            pipes.append((fds[0], fds[1]))
            posix_spawn_file_actions_adddup2(&actions, fds[1], target)
            return fds[0]
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        outputFD = redirect(captureOutput, to: 1)
        if let errorFile {
            posix_spawn_file_actions_addopen(&actions, 2, errorFile, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            errorFD = nil
        } else {
            errorFD = redirect(captureError, to: 2)
        }
        if let directory { _ = Self.addChdir(&actions, directory) }
        _ = Self.addCloseFrom(&actions, 3)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // A clean signal state: the spawning thread may block or ignore signals the child needs.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        for (_, write) in pipes { close(write) }
        guard result == 0 else {
            for (read, _) in pipes { close(read) }
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    deinit {
        if let outputFD { close(outputFD) }
        if let errorFD { close(errorFD) }
    }

    /// Sends `signal` (SIGINT, SIGTERM, …).
    public func send(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the child to end: its exit code, or the signal that ended it.
    @discardableResult
    public func wait() -> (code: Int32, signalled: Bool) {
        if let status = lock.withLock({ status }) { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let signalNumber = raw & 0x7f
        let ended: (code: Int32, signalled: Bool) = signalNumber == 0 ? ((raw >> 8) & 0xff, false) : (signalNumber, true)
        lock.withLock { status = ended }
        return ended
    }

    /// Everything the child writes to standard output and error, until both close.
    public func readToEnd() -> (out: String, err: String) {
        let errorText = LockedText()
        let group = DispatchGroup()
        if let errorFD {
            group.enter()
            DispatchQueue(label: "tollgate.tests.stderr").async {
                errorText.set(Self.drain(errorFD))
                group.leave()
            }
        }
        let out = outputFD.map(Self.drain) ?? ""
        group.wait()
        return (out, errorText.get())
    }

    /// Reads both streams to their end and waits for the child, on a thread of its own: async
    /// tests must not hold a thread of the cooperative pool while a child runs (the services
    /// under test run on that pool too).
    public func finish() async -> (out: String, err: String, code: Int32, signalled: Bool) {
        await offThePool {
            let (out, err) = self.readToEnd()
            let status = self.wait()
            return (out, err, status.code, status.signalled)
        }
    }

    /// `readOutput(until:timeout:)` on a thread of its own (see `finish`).
    public func output(until marker: String, timeout: Double) async -> String {
        await offThePool { self.readOutput(until: marker, timeout: timeout) }
    }

    /// `wait()` on a thread of its own (see `finish`).
    public func ended() async -> (code: Int32, signalled: Bool) {
        await offThePool { self.wait() }
    }

    /// Standard output until it contains `marker`, ends, or `timeout` seconds pass.
    public func readOutput(until marker: String, timeout: Double) -> String {
        guard let outputFD else { return "" }
        var text = ""
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !text.contains(marker), Date() < deadline {
            var poller = pollfd(fd: outputFD, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000))) > 0 else { continue }
            let n = read(outputFD, &buffer, buffer.count)
            if n <= 0 { break }
            text += String(decoding: buffer[..<n], as: UTF8.self)
        }
        return text
    }

    private static func drain(_ fd: Int32) -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            data += buffer[..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }

    // glibc has both, but its headers declare them only for _GNU_SOURCE, which Swift does not set.
    private typealias FileAction = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias PathAction = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    private static func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) -> Int32 {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return -1 }
        return unsafeBitCast(symbol, to: FileAction.self)(actions, lowest)
    }

    private static func addChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: String) -> Int32 {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else { return -1 }
        return path.withCString { unsafeBitCast(symbol, to: PathAction.self)(actions, $0) }
    }
}

/// Text handed from a reading thread.
private final class LockedText: @unchecked Sendable {
    // Safe: `text` is only touched under `lock`.
    private let lock = NSLock()
    private var text = ""
    func set(_ value: String) { lock.withLock { text = value } }
    func get() -> String { lock.withLock { text } }
}
