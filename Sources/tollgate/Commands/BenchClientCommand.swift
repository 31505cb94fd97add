import ArgumentParser
import Foundation
import Steps
import TransportHTTP

/// `tollgate bench-client URL`: N users looping on Transport's libcurl client (HTTPClientPool), so
/// benchmarks/load-engine.sh can set it against the load engine's SwiftNIO hot path.
struct BenchClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-client", abstract: "Benchmark helper: users looping GET on the libcurl client.", shouldDisplay: false)

    @Argument(help: "The URL to GET.") var url: String
    @Option(help: "Users looping at once.") var connections = 50
    @Option(help: "How long.") var duration = "10s"

    func validate() throws {
        guard (1...10_000).contains(connections) else { throw ValidationError("--connections must be between 1 and 10000") }
        guard let seconds = DurationText.seconds(duration), seconds > 0 else { throw ValidationError("--duration is not a duration") }
        guard url.hasPrefix("http://") else { throw ValidationError("--url must be http://") }
    }

    func run() async throws {
        let seconds = DurationText.seconds(duration) ?? 10
        let pool = HTTPClientPool(maxConnectionsPerHost: connections)
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let started = ContinuousClock.now
        let (ok, failed) = await withTaskGroup(of: (Int, Int).self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var ok = 0, failed = 0
                    while ContinuousClock.now < deadline {
                        do {
                            let response = try await pool.send(HTTPClientRequest(url: url, timeout: 10))
                            if response.status < 400 { ok += 1 } else { failed += 1 }
                        } catch { failed += 1 }
                    }
                    return (ok, failed)
                }
            }
            return await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        }
        let elapsed = ContinuousClock.now - started
        let total = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "requests %d failed %d seconds %.3f rate %.1f", ok + failed, failed, total, Double(ok + failed) / total))
    }
}
