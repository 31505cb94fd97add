import Foundation
import ReferenceServices
import TestSupport
import Testing
import TransportHTTP

/// Debian's `prometheus` on a loopback port, scraping the given targets every second, its data
/// and log in a temporary folder removed when it stops.
final class PrometheusServer: Sendable {
    /// `TOLLGATE_PROMETHEUS` (make test sets it), else Debian's binary when it is installed.
    static let binary: String? = {
        let path = ProcessInfo.processInfo.environment["TOLLGATE_PROMETHEUS"] ?? "/usr/bin/prometheus"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()

    let url: String
    private let process: ChildProcess
    private let folder: URL
    private let client = HTTPClientPool()

    private init(url: String, process: ChildProcess, folder: URL) {
        self.url = url
        self.process = process
        self.folder = folder
    }

    /// Starts Prometheus scraping `targets` (job name → host:port) and returns once it answers
    /// queries (targets are scraped when they are up).
    static func start(scraping targets: [String: String]) async throws -> PrometheusServer {
        let binary = try #require(binary)
        let folder = try temporaryFolder("prometheus")
        var config = "global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n"
        for (job, address) in targets.sorted(by: { $0.key < $1.key }) {
            config += "  - {job_name: \"\(job)\", static_configs: [{targets: [\"\(address)\"]}]}\n"
        }
        try config.write(to: folder.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let port = freePort()
        let log = folder.appendingPathComponent("prometheus.log")
        let process = try ChildProcess(binary, ["--config.file=prometheus.yml", "--storage.tsdb.path=data", "--web.listen-address=127.0.0.1:\(port)"],
                                       directory: folder.path, captureOutput: false, errorFile: log.path)
        let server = PrometheusServer(url: "http://127.0.0.1:\(port)", process: process, folder: folder)
        guard await eventually(timeout: 60, { (try? await server.value("vector(1)")) == 1 }) else {
            let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            await server.stop()
            throw ChildProcess.SpawnError(description: "Prometheus did not answer within 60 s; its log ends:\n\(said.suffix(3000))")
        }
        return server
    }

    /// The value of an instant query with exactly one series.
    func value(_ query: String) async throws -> Double? {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let response = try await client.send(HTTPClientRequest(url: url + "/api/v1/query?query=" + (query.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""),
                                                               timeout: 5))
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let series = (object?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        guard series.count == 1, let text = (series[0]["value"] as? [Any])?.last as? String else { return nil }
        return Double(text)
    }

    func stop() async {
        process.send(SIGTERM)
        _ = await process.ended()
        try? FileManager.default.removeItem(at: folder)
    }
}

/// The ports of a stack's six scraped services, fixed for a suite (`freePort`: none of the
/// suite's other servers is handed one meanwhile).
struct FixedStackPorts: Sendable {
    let gateway, user, catalog, order, payment, provider: Int

    static func pick() -> FixedStackPorts {
        FixedStackPorts(gateway: freePort(), user: freePort(), catalog: freePort(), order: freePort(), payment: freePort(), provider: freePort())
    }

    func apply(to c: inout StackConfiguration) {
        c.gatewayPort = gateway; c.userPort = user; c.catalogPort = catalog; c.orderPort = order; c.paymentPort = payment; c.providerPort = provider
    }

    /// Prometheus jobs: service name → host:port.
    var targets: [String: String] {
        ["api-gateway": gateway, "user-service": user, "catalog-service": catalog, "order-service": order, "payment-service": payment,
         "payment-provider": provider].mapValues { "127.0.0.1:\($0)" }
    }
}

/// One Prometheus around a whole suite, scraping the ports each of its tests starts a stack
/// on: a Prometheus scrapes new targets only after its five-second discovery tick, which a
/// fresh server per test paid every time; this one's targets never change, and a new stack on
/// them is scraped within a second.
struct SharedPrometheus: SuiteTrait, TestScoping {
    struct Running: Sendable {
        let server: PrometheusServer
        let ports: FixedStackPorts
    }

    @TaskLocal static var current: Running?

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let ports = FixedStackPorts.pick()
        let server = try await PrometheusServer.start(scraping: ports.targets)
        do { try await Self.$current.withValue(Running(server: server, ports: ports), operation: function) } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

extension Trait where Self == SharedPrometheus {
    /// The suite's tests share one Prometheus (`withPrometheus`).
    static var sharedPrometheus: Self { Self() }
}

/// A stack on the suite's fixed ports, once the suite's Prometheus (`.sharedPrometheus`) has
/// scraped all its services more than a second after it started: no sample of the previous
/// test's stack falls in a query window of this one's load.
func withPrometheus(_ configure: (inout StackConfiguration) -> Void, _ body: (ServiceStack, PrometheusServer) async throws -> Void) async throws {
    let shared = try #require(SharedPrometheus.current, "a suite with the .sharedPrometheus trait")
    let started = Date().timeIntervalSince1970
    try await withStack({ c in
        configure(&c)
        shared.ports.apply(to: &c)
    }) { stack in
        let targets = shared.ports.targets.count
        let scraped = await eventually(timeout: 30) {
            (try? await shared.server.value("count(timestamp(up == 1) > \(started + 1))")) == Double(targets)
        }
        guard scraped else { throw ChildProcess.SpawnError(description: "Prometheus did not scrape the stack's \(targets) services within 30 s") }
        try await body(stack, shared.server)
    }
}

