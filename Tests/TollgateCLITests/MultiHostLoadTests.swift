import Foundation
import TestSupport
import Testing

/// Hosts made of network namespaces on one machine (root only): a bridge, a target host and
/// shard hosts, each with its own address and network stack, the file system shared as a
/// volume would be.
final class TestHosts: Sendable {
    let prefix: String
    let names: [String]
    /// Each host's address on the bridge, in the order of `names`.
    let addresses: [String]

    /// Whether namespaces can be made here (root, iproute2), decided once.
    static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") else { return false }
        let name = "tgprobe\(getpid())"
        guard shell("ip netns add \(name)") else { return false }
        _ = shell("ip netns del \(name)")
        return true
    }()

    /// Runs a shell command, true when it exits 0.
    @discardableResult
    static func shell(_ command: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Hosts `names` on a bridge of their own, 10.77.N.1, .2, … (N from the process id, so two
    /// runs on one machine do not meet).
    init(_ names: [String]) throws {
        let id = Int(getpid()) % 200 + 20
        prefix = "tg\(id)"
        self.names = names
        addresses = names.indices.map { "10.77.\(id).\($0 + 1)" }
        var commands = ["ip link add \(prefix)br type bridge", "ip link set \(prefix)br up"]
        for (index, name) in names.enumerated() {
            let namespace = "\(prefix)-\(name)", veth = "\(prefix)v\(index)"
            commands += ["ip netns add \(namespace)", "ip link add \(veth) type veth peer name eth0 netns \(namespace)",
                         "ip link set \(veth) master \(prefix)br up", "ip -n \(namespace) addr add \(addresses[index])/24 dev eth0",
                         "ip -n \(namespace) link set eth0 up", "ip -n \(namespace) link set lo up"]
        }
        for command in commands where !Self.shell(command) {
            remove()
            throw ChildProcess.SpawnError(description: "could not make the test hosts: \(command) failed")
        }
    }

    /// `arguments` run in host `name`'s namespace.
    func command(on name: String, _ arguments: [String]) -> [String] {
        ["netns", "exec", "\(prefix)-\(name)"] + arguments
    }

    func remove() {
        for name in names { Self.shell("ip netns del \(prefix)-\(name)") }
        Self.shell("ip link del \(prefix)br")
    }
}

/// Shards on three hosts of their own against a target on a fourth, started seconds apart:
/// they start together at the barrier and merge into the whole run.
@Suite(.enabled(if: TestHosts.available, "needs root and iproute2 to make network namespaces (CI runs as root)"))
struct MultiHostLoadTests {
    @Test func shardsOnThreeHostsStartTogetherAndAddUpToThePlannedRate() async throws {
        let hosts = try TestHosts(["target", "shard1", "shard2", "shard3"])
        defer { hosts.remove() }
        let folder = try temporaryFolder("multi-host")
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = hosts.addresses[0]
        let server = try ChildProcess("/usr/sbin/ip", hosts.command(on: "target", [tollgateBinary.path, "services", "run", "payment-provider", "--host", target, "--port", "8080"]),
                                      captureError: false)
        defer {
            server.send(SIGINT)
            server.wait()
        }
        let banner = await server.output(until: "Ctrl-C stops", timeout: 30)
        #expect(banner.contains("listening on http://\(target):8080"), "\(banner)")

        // 90 iterations a second in all for 6 s: 540, a third on each host.
        let results = folder.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: true)
        var shards: [ChildProcess] = []
        for i in 1...3 {
            let arguments = [tollgateBinary.path, "load", "--url", "http://\(target):8080/health", "--rate", "90", "--duration", "6s", "--shard", "\(i)/3",
                             "--barrier", folder.appendingPathComponent("barrier").path, "--json", results.appendingPathComponent("shard-\(i).json").path,
                             "--slo", "error_rate<=1%", "--quiet"]
            shards.append(try ChildProcess("/usr/sbin/ip", hosts.command(on: "shard\(i)", arguments)))
            if i < 3 { try await Task.sleep(for: .seconds(2)) }
        }
        var requests = 0, starts: [Date] = []
        for (index, shard) in shards.enumerated() {
            let ended = await shard.finish()
            #expect(ended.code == 0, "shard \(index + 1): \(ended.out)\(ended.err)")
            let json = try jsonObject(results.appendingPathComponent("shard-\(index + 1).json"))
            requests += (json["summary"] as? [String: Any])?["requests"] as? Int ?? 0
            let run = try #require(json["run"] as? [String: Any])
            starts.append(try #require(ISO8601DateFormatter().date(from: run["started_at"] as? String ?? "")))
            #expect((run["host"] as? String)?.isEmpty == false)
        }
        #expect(starts.max()!.timeIntervalSince(starts.min()!) <= 1, "started 4 s apart, the schedules began together: \(starts)")

        let merged = folder.appendingPathComponent("merged.json")
        let report = try await runTollgate(["report", results.path, "--json", merged.path])
        #expect(report.status == 0, "\(report.out)\(report.err)")
        let whole = try jsonObject(merged)
        let total = (whole["summary"] as? [String: Any])?["requests"] as? Int ?? 0
        #expect(total == requests, "the merge adds the shards exactly")
        #expect(abs(Double(total) - 540) <= 5.4, "within 1 % of the planned 540: \(total)")
        let series = (((whole["metrics"] as? [String: Any])?["time_series"] as? [String: Any])?["points"] as? [[String: Any]]) ?? []
        // Merged by the clock, the shards' planned rates add up from the first second on: 90, not
        // the 30 of one shard that started alone.
        let planned = series.prefix(6).map { $0["target_rate_per_s"] as? Double ?? 0 }
        #expect(planned == Array(repeating: 90, count: 6), "the shards' seconds fall together in the merged series: \(planned)")

        // A shard whose host never starts it: the others name it at the barrier.
        let alone = try ChildProcess("/usr/sbin/ip", hosts.command(on: "shard1", [tollgateBinary.path, "load", "--url", "http://\(target):8080/health", "--rate", "10",
                                                                                  "--duration", "2s", "--shard", "1/2", "--barrier", folder.appendingPathComponent("barrier-2").path,
                                                                                  "--barrier-timeout", "2s", "--quiet"]))
        let lonely = await alone.finish()
        #expect(lonely.code == 2)
        #expect(lonely.err.contains("shard 2/2 never came within 2s"), "\(lonely.err)")
    }
}
