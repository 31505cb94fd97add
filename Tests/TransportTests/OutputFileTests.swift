import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport
import Transport

/// Output files never replace what is not a regular file (`--html /dev/null` as root made the
/// machine's `/dev/null` a regular file).
@Suite struct OutputFileTests {
    func temporaryFolder(_ name: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    func kind(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
    }

    @Test func aRegularFileIsReplacedWholeAndKeepsItsMode() throws {
        let folder = try temporaryFolder("output-file")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.path + "/deeper/report.json"
        try OutputFile.write(Data("first".utf8), to: path)
        chmod(path, 0o600)
        try OutputFile.write(Data("second".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second")
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path + "/deeper") == ["report.json"], "no temporary file left")
    }

    @Test func aCharacterDeviceIsWrittenThroughNotReplaced() throws {
        let folder = try temporaryFolder("output-device")
        defer { try? FileManager.default.removeItem(at: folder) }
        // A private copy of /dev/null (character device 1:3): making one needs root, as CI runs.
        let device = folder.path + "/null"
        guard mknod(device, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 else {
            withKnownIssue("mknod needs root (errno \(errno)); the FIFO test covers writing through") { throw POSIXError(.EPERM) }
            return
        }
        try OutputFile.write(Data("report".utf8), to: device)
        #expect(kind(device) == S_IFCHR, "the device is still a device")
        let link = folder.path + "/report.html"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: device)
        try OutputFile.write(Data("report".utf8), to: link)
        #expect(kind(link) == S_IFLNK && kind(device) == S_IFCHR)
    }

    @Test func aFIFOIsWrittenThrough() async throws {
        let folder = try temporaryFolder("output-fifo")
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.path + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        // Read to the end of the stream (reading by the file's size would read nothing, close, and leave the writer a broken pipe).
        let reader = Task.detached { FileHandle(forReadingAtPath: fifo).map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) } }
        try OutputFile.write(Data("through the pipe".utf8), to: fifo)
        #expect(await reader.value == "through the pipe")
        #expect(kind(fifo) == S_IFIFO)
    }

    @Test func aLinkIsFollowedAndKept() throws {
        let folder = try temporaryFolder("output-link")
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.path + "/target.json", link = folder.path + "/link.json"
        try OutputFile.write(Data("old".utf8), to: target)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.json")
        try OutputFile.write(Data("new".utf8), to: link)
        #expect(try kind(link) == S_IFLNK && String(contentsOfFile: target, encoding: .utf8) == "new")
        let dangling = folder.path + "/dangling.json"
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: folder.path + "/nowhere/else.json")
        #expect(throws: OutputFile.Failure.self) { try OutputFile.write(Data("x".utf8), to: dangling) }
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/nowhere"))
    }

    @Test func aDirectoryIsRefusedAndNamed() throws {
        let folder = try temporaryFolder("output-dir")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect {
            try OutputFile.write(Data("x".utf8), to: folder.path)
        } throws: { error in
            (error as? OutputFile.Failure)?.description == "cannot write \(folder.path): it is a directory"
        }
        #expect(kind(folder.path) == S_IFDIR)
    }
}
