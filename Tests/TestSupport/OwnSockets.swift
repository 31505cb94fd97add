import Foundation

/// The TCP sockets this process holds, read from `/proc`: precise where a port number is not
/// (once a socket closes, another test may be handed its port).
public enum OwnSockets {
    /// The inodes of this process's TCP sockets (IPv4 and IPv6) whose local port is one of `ports`,
    /// listening or connected.
    public static func inodes(onLocalPorts ports: Set<Int>) -> Set<UInt64> {
        var found: Set<UInt64> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to the end: Foundation's String(contentsOfFile:) stops at 4 KiB of a /proc file, whose size reads 0.
            guard let data = FileHandle(forReadingAtPath: table)?.readDataToEndOfFile() else { continue }
            let text = String(decoding: data, as: UTF8.self)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // sl, local address (hex address:hex port), remote address, state, queues, timer, retransmits, uid, timeout, inode
                guard fields.count > 9, let portText = fields[1].split(separator: ":").last, let port = Int(portText, radix: 16),
                      ports.contains(port), let inode = UInt64(fields[9]), inode != 0 else { continue }
                found.insert(inode)
            }
        }
        return found.intersection(open())
    }

    /// The inodes of every socket this process has open.
    public static func open() -> Set<UInt64> {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return Set(descriptors.compactMap { descriptor in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + descriptor),
                  target.hasPrefix("socket:["), target.hasSuffix("]") else { return nil }
            return UInt64(target.dropFirst(8).dropLast())
        })
    }
}
