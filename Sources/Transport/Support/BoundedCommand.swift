import Foundation
import Synchronization

/// Runs a command of the user's the way a gate must, whatever the command does:
/// - bounded in time: at the timeout its whole process group gets SIGTERM, and SIGKILL after a
///   grace period (a command that ignores SIGTERM is still ended);
/// - bounded in output: what it prints goes through pipes, and more than `outputLimit` bytes on
///   either ends it (a command printing gigabytes neither fills memory nor the disk);
/// - never outliving Tollgate: it runs in a process group of its own that is ended with it,
///   and, where the system has util-linux's `setpriv`, it is killed when Tollgate dies.
/// Blocking: call it off the cooperative pool (`BlockingWork`).
public enum BoundedCommand {
    public struct Output: Sendable {
        public let out: String
        public let err: String
        public let status: Int32
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case cannotStart(String)
        case timedOut(Double)
        case tooMuchOutput(Int)
        case killedBySignal(Int32)

        public var description: String {
            switch self {
            case .cannotStart(let reason): return "cannot run it: \(reason)"
            case .timedOut(let seconds): return "it did not finish within \(seconds < 1 ? String(format: "%.1f", seconds) : String(Int(seconds))) s (stopped)"
            case .tooMuchOutput(let limit): return "it printed more than \(limit >> 10) KB (stopped)"
            case .killedBySignal(let signal): return "it was ended by signal \(signal)"
            }
        }
    }

    /// Process groups of commands running now, ended by `endAll` (a second Ctrl-C, an exit).
    private static let running = RunningGroups()

    /// Ends every command still running, at once (SIGKILL to each process group).
    public static func endAll() { running.killAll() }

    /// Runs `arguments` (the first looked up on the PATH) with stdin from /dev/null.
    public static func run(_ arguments: [String], timeout: Double, grace: Double = 2, outputLimit: Int = 1 << 20) throws(Failure) -> Output {
        guard let name = arguments.first, !name.isEmpty else { throw .cannotStart("no command") }
        guard let executable = executablePath(name) else { throw .cannotStart(name.contains("/") ? "\(name) is not an executable file" : "\(name) is not on the PATH") }
        let setpriv = "/usr/bin/setpriv"
        let command = FileManager.default.isExecutableFile(atPath: setpriv) ? [setpriv, "--pdeathsig", "KILL", "--", executable] + arguments.dropFirst()
                                                                            : [executable] + arguments.dropFirst()
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw .cannotStart(String(cString: strerror(errno))) }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw .cannotStart(String(cString: strerror(errno)))
        }
        for fd in [outPipe[0], errPipe[0]] {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group (to end it whole), and the signals Tollgate ignores back at their defaults.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let spawned = posix_spawnp(&pid, command[0], &actions, &attributes, argv, environ)
        close(outPipe[1]); close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw .cannotStart(String(cString: strerror(spawned)))
        }
        running.add(pid)
        defer { running.remove(pid) }

        var out: [UInt8] = [], err: [UInt8] = []
        var failure: Failure?
        var status: Int32 = 0
        var exited = false
        let started = Date()
        var terminatedAt: Date?
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        func drain(_ fd: Int32, into kept: inout [UInt8]) -> Bool {
            while true {
                let count = read(fd, &buffer, buffer.count)
                if count <= 0 { return false }
                kept += buffer[0..<min(count, max(0, outputLimit + 1 - kept.count))]
                if kept.count > outputLimit { return true }
            }
        }
        while !exited {
            if drain(outPipe[0], into: &out) || drain(errPipe[0], into: &err), failure == nil {
                failure = .tooMuchOutput(outputLimit)
                kill(-pid, SIGKILL)
            }
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid {
                exited = true
                status = raw
                break
            }
            let now = Date()
            if failure == nil, now.timeIntervalSince(started) > timeout {
                failure = .timedOut(timeout)
                kill(-pid, SIGTERM)
                terminatedAt = now
            }
            if let terminatedAt, now.timeIntervalSince(terminatedAt) > grace { kill(-pid, SIGKILL) }
            usleep(10_000)
        }
        _ = drain(outPipe[0], into: &out)
        _ = drain(errPipe[0], into: &err)
        close(outPipe[0]); close(errPipe[0])
        // Whatever it left behind in its group goes with it.
        kill(-pid, SIGKILL)
        if let failure { throw failure }
        // WIFSIGNALED / WTERMSIG / WEXITSTATUS, spelled out (the C macros are not imported).
        if status & 0x7F != 0 { throw .killedBySignal(status & 0x7F) }
        return Output(out: String(decoding: out.prefix(outputLimit), as: UTF8.self), err: String(decoding: err.prefix(outputLimit), as: UTF8.self),
                      status: (status >> 8) & 0xFF)
    }
}

extension BoundedCommand {
    /// `name` itself when it has a `/`, else the first executable of that name on the PATH.
    static func executablePath(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// The process groups of commands running now.
private final class RunningGroups: Sendable {
    private let groups = Mutex<Set<pid_t>>([])

    func add(_ pid: pid_t) { groups.withLock { _ = $0.insert(pid) } }
    func remove(_ pid: pid_t) { groups.withLock { _ = $0.remove(pid) } }
    func killAll() { for pid in groups.withLock({ $0 }) { kill(-pid, SIGKILL) } }
}
