import Foundation
import Transport
import TransportHTTP

/// Debian's `prometheus`, started by `tollgate services up --prometheus`: on 127.0.0.1, scraping
/// every service every 5 seconds, its configuration and data in a temporary folder removed
/// when it stops.
final class LocalPrometheus: @unchecked Sendable {
    // Safe: `process` is only started in `start` and then only signalled and waited for in `stop`.
    let url: String
    private let process: Process
    private let folder: URL

    private init(url: String, process: Process, folder: URL) {
        self.url = url
        self.process = process
        self.folder = folder
    }

    /// The `prometheus` binary on the PATH, if any.
    static func binary(path: String = ProcessInfo.processInfo.environment["PATH"] ?? "") -> String? {
        path.split(separator: ":").map { "\($0)/prometheus" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The scrape configuration: one job per target (job name → host:port), every 5 seconds.
    static func configuration(_ targets: [(job: String, address: String)]) -> String {
        var text = "global:\n  scrape_interval: 5s\n  evaluation_interval: 5s\nscrape_configs:\n"
        for target in targets {
            text += "  - job_name: \"\(target.job)\"\n    static_configs:\n      - targets: [\"\(target.address)\"]\n"
        }
        return text
    }

    /// Starts `binary` on `127.0.0.1:port` and waits (at most 30 s) until it is ready; throws
    /// with the end of its log when it is not.
    static func start(binary: String, port: Int, targets: [(job: String, address: String)]) async throws -> LocalPrometheus {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-prometheus-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try configuration(targets).write(to: folder.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let log = folder.appendingPathComponent("prometheus.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--config.file=" + folder.appendingPathComponent("prometheus.yml").path, "--storage.tsdb.path=" + folder.appendingPathComponent("data").path,
                             "--web.listen-address=127.0.0.1:\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let server = LocalPrometheus(url: "http://127.0.0.1:\(port)", process: process, folder: folder)
        let client = HTTPClientPool()
        for _ in 0..<150 {
            if let ready = try? await client.send(HTTPClientRequest(url: server.url + "/-/ready", timeout: 2)), ready.status == 200 { return server }
            guard process.isRunning else { break }
            try? await Task.sleep(for: .milliseconds(200))
        }
        let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        await server.stop()
        throw LocalPrometheusError("Prometheus did not come up on 127.0.0.1:\(port); its log ends:\n" + said.split(separator: "\n").suffix(5).joined(separator: "\n"))
    }

    /// Stops Prometheus and removes its folder.
    func stop() async {
        if process.isRunning { process.terminate() }
        let process = self.process
        await BlockingWork.run { process.waitUntilExit() }
        try? FileManager.default.removeItem(at: folder)
    }
}

/// Why Prometheus could not start, in words.
struct LocalPrometheusError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
