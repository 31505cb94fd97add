public import Foundation

/// Writes an output file (a report, an `.hlog`, a merge, a barrier announcement) the way a careful
/// `>` does, whatever the path names:
/// - nothing yet, or a regular file: written beside and renamed into place, so a reader sees all
///   of it or none;
/// - a character device or a FIFO (`/dev/null`, `/dev/stdout`, a pipe): written through — never
///   replaced, which as root would turn the machine's `/dev/null` into a regular file;
/// - anything else (a directory, a socket, a block device): refused.
/// A symbolic link is followed: the file it names is written and the link stays (one that names
/// nothing is refused).
public enum OutputFile {
    public struct Failure: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// Writes `data` to `path`, creating the folder it is in.
    public static func write(_ data: Data, to path: String) throws(Failure) {
        var info = stat()
        if stat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                try replace(realPath(path), with: data, mode: info.st_mode & 0o7777)
            case S_IFCHR, S_IFIFO:
                try writeThrough(path, data)
            case S_IFDIR:
                throw Failure(path: path, reason: "it is a directory")
            default:
                throw Failure(path: path, reason: "it is not a regular file, a character device or a FIFO; left as it is")
            }
            return
        }
        guard errno == ENOENT else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        var link = stat()
        if lstat(path, &link) == 0 { throw Failure(path: path, reason: "it is a symbolic link to nothing; left as it is") }
        let folder = (path as NSString).deletingLastPathComponent
        do {
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        } catch {
            throw Failure(path: path, reason: error.localizedDescription)
        }
        try replace(path, with: data, mode: nil)
    }

    /// The path with every symbolic link resolved (the path itself when it cannot be).
    private static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Writes `data` to a new file beside `path` and renames it over `path`.
    private static func replace(_ path: String, with data: Data, mode: mode_t?) throws(Failure) {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = (folder.isEmpty ? "" : folder + "/") + ".\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode ?? 0o666)
        guard fd >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        do throws(Failure) {
            try writeAll(fd, data, path: path)
            if let mode { fchmod(fd, mode) }
            guard close(fd) == 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(path: path, reason: reason)
        }
    }

    private static func writeThrough(_ path: String, _ data: Data) throws(Failure) {
        let fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        try writeAll(fd, data, path: path)
    }

    private static func writeAll(_ fd: Int32, _ data: Data, path: String) throws(Failure) {
        let failure: Failure? = data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return Failure(path: path, reason: String(cString: strerror(errno)))
                }
                offset += written
            }
            return nil
        }
        if let failure { throw failure }
    }
}
