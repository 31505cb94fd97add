import Foundation
import TestSupport
import Testing
import TransportHTTP

@Suite struct ServicesCommandTests {
    /// `tollgate services up` with every port chosen by the system when it binds (a port picked
    /// beforehand and released can be taken meanwhile by a busy suite's connections); the banner
    /// says where each service landed. Returns the process, its banner and the gateway's URL.
    func servicesUp(_ extra: [String]) async throws -> (process: ChildProcess, banner: String, gateway: String) {
        let ports = ["--gateway-port", "--user-port", "--catalog-port", "--order-port", "--payment-port", "--provider-port", "--monolith-port"].flatMap { [$0, "0"] }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("services-up-\(UUID()).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let process = try ChildProcess(tollgateBinary.path, ["services", "up"] + ports + ["--seed-products", "5"] + extra, errorFile: log.path)
        let banner = await process.output(until: "Ctrl-C stops", timeout: 60)
        guard banner.contains("Ctrl-C stops"),
              let line = banner.split(separator: "\n").first(where: { $0.contains("api-gateway") }),
              let url = line.split(separator: " ").last.map(String.init), url.hasPrefix("http://127.0.0.1:") else {
            process.send(SIGKILL)
            let ended = await process.ended()
            let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw ChildProcess.SpawnError(description: "services up did not start (\(ended)); it printed:\n\(banner)\nand on standard error:\n\(said.suffix(3000))")
        }
        return (process, banner, url)
    }

    @Test func servicesUpServesPrintsItsAddressesAndStopsCleanlyOnSIGINT() async throws {
        let (process, text, gateway) = try await servicesUp([])
        #expect(text.contains("kafka              127.0.0.1:"))
        #expect(text.contains("monolith           http://127.0.0.1:"), "\(text)")
        #expect(text.contains("(legacy; the services dual-write into it)"), "\(text)")
        #expect(text.contains("Admin: admin@tollgate.local"))
        let response = try await HTTPClientPool().send(HTTPClientRequest(url: "\(gateway)/api/v1/products?per_page=2"))
        #expect(response.status == 200)
        #expect(response.bodyText.contains("\"total\":5"))
        process.send(SIGINT)
        let ended = await process.ended()
        #expect(ended.code == 0 && !ended.signalled, "ended with \(ended)")
    }

    @Test(.enabled(if: PrometheusServer.binary != nil, "needs Debian's prometheus: make test installs it"))
    func prometheusScrapesEveryServiceAndStopsWithThem() async throws {
        let port = freePort()
        let (process, banner, _) = try await servicesUp(["--prometheus", "--prometheus-port", "\(port)"])
        #expect(banner.contains("prometheus         http://127.0.0.1:\(port) (scraping every service every 5 s)"), "\(banner)")
        let client = HTTPClientPool()
        let scraped = await eventually(timeout: 30) {
            let answer = try? await client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/query?query=count(up%3D%3D1)", timeout: 5))
            return String(decoding: answer?.body ?? [], as: UTF8.self).contains(#""7"]"#)
        }
        #expect(scraped, "the six services and the monolith are up in Prometheus")
        process.send(SIGINT)
        let ended = await process.ended()
        #expect(ended.code == 0 && !ended.signalled, "ended with \(ended)")
        #expect(!acceptsConnections(port: port), "Prometheus stopped with the services")
    }

    @Test func prometheusWithoutTheBinarySaysHowToInstallIt() async throws {
        let result = try await runTollgate(["services", "up", "--prometheus"], environment: ["PATH": "/nonexistent"])
        #expect(result.status == 2)
        #expect(result.err.contains("apt-get install --no-install-recommends prometheus"), "\(result.err)")
    }

    @Test func badFlagsAreRejectedBeforeAnythingStarts() async throws {
        let result = try await runTollgate(["services", "up", "--rollout-percent", "140", "--provider-failure-rate", "3"])
        #expect(result.status == 2)
        #expect(result.err.contains("--rollout-percent must be 0-100"))
        #expect(result.err.contains("--provider-failure-rate must be between 0 and 1"))
        let unknown = try await runTollgate(["services", "run", "inventory"])
        #expect(unknown.status == 2)
        #expect(unknown.err.contains("unknown service 'inventory'"))
    }

    @Test func aTakenPortIsOneClearError() async throws {
        let port = freePort()
        let blocker = try ChildProcess("/usr/bin/python3", ["-c", "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', \(port))); s.listen(); time.sleep(600)"],
                                       captureOutput: false, captureError: false)
        defer { blocker.send(SIGKILL) }
        #expect(await eventually(timeout: 10) { acceptsConnections(port: port) }, "the blocker holds the port")
        let result = try await runTollgate(["services", "run", "payment-provider", "--port", "\(port)"], limit: 60)
        #expect(result.status == 2)
        #expect(result.err.contains("could not listen on 127.0.0.1:\(port)"))
        blocker.send(SIGKILL)
        _ = await blocker.ended()
    }

    /// `services up` with a 30 s payment provider and an order waiting on it.
    func stackWithASlowOrder(shutdownTimeout: String) async throws -> (process: ChildProcess, banner: String, order: Task<Void, Never>) {
        let (process, banner, gateway) = try await servicesUp(["--provider-latency-ms", "30000", "--shutdown-timeout", shutdownTimeout])
        // libcurl, not URLSession: FoundationNetworking's task registry crashes now and then on Linux.
        let client = HTTPClientPool()
        @Sendable func post(_ path: String, _ body: String, token: String? = nil) async throws -> [String: Any] {
            let headers = [("Content-Type", "application/json")] + (token.map { [("Authorization", "Bearer \($0)")] } ?? [])
            let response = try await client.send(HTTPClientRequest(method: "POST", url: gateway + path, headers: headers, body: Array(body.utf8), timeout: 60))
            return (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
        }
        _ = try await post("/api/v1/users/register", #"{"email": "slow@example.com", "password": "password123", "first_name": "S", "last_name": "Low"}"#)
        let login = try await post("/api/v1/users/login", #"{"email": "slow@example.com", "password": "password123"}"#)
        let token = try #require(login["token"] as? String)
        let userID = try #require((login["user"] as? [String: Any])?["id"] as? String)
        let order = Task {
            _ = try? await post("/api/v1/orders", #"{"items": [{"product_id": 1, "quantity": 1}], "payment_method": "pm_card_visa", "shipping_address": {"street": "1 Main St", "city": "Springfield", "state": "IL", "zip_code": "62701", "country": "US"}}"#, token: token)
        }
        // Go on once the saga has created the order (it then waits on the 30 s provider).
        let listing = HTTPClientRequest(url: gateway + "/api/v1/orders/user/\(userID)", headers: [("Authorization", "Bearer \(token)")])
        let placed = await eventually(timeout: 20) {
            guard let response = try? await client.send(listing),
                  let orders = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["orders"] as? [[String: Any]] else { return false }
            return orders.contains { $0["status"] as? String == "pending" }
        }
        #expect(placed, "the order is pending on the slow provider")
        return (process, banner, order)
    }

    @Test func aStopWaitsForSlowRequestsOnlyUntilTheShutdownTimeout() async throws {
        let (process, banner, order) = try await stackWithASlowOrder(shutdownTimeout: "1")
        #expect(banner.contains("Service token: "))
        #expect(banner.contains("JWT secret: random for this run"))
        let began = Date()
        process.send(SIGINT)
        let ended = await process.ended()
        let took = Date().timeIntervalSince(began)
        #expect(!ended.signalled && ended.code == 0, "ended with \(ended)")
        #expect(took < 20, "stopping took \(took) s with a 1 s shutdown timeout, not the provider's 30 s")
        // The order's connection ended with the process.
        await order.value
    }

    @Test func aSecondSignalExitsAtOnce() async throws {
        let (process, _, order) = try await stackWithASlowOrder(shutdownTimeout: "60")
        process.send(SIGINT)
        #expect(await process.output(until: "Stopping", timeout: 10).contains("Stopping"), "the first signal began the stop")
        let began = Date()
        process.send(SIGINT)
        let ended = await process.ended()
        #expect(!ended.signalled && ended.code == 130, "ended with \(ended)")
        // At once, not after the 60 s shutdown timeout (a loaded CI machine takes a few seconds).
        #expect(Date().timeIntervalSince(began) < 20)
        await order.value
    }

    /// A pod's log holds no credential (every `services run` printed a 30-day admin token); an
    /// operator mints a short-lived one on purpose, and the gateway takes it.
    @Test func servicesRunPrintsNoTokenAndAnOperatorMintsAShortLivedOne() async throws {
        let secret = "a-shared-secret-for-this-test-\(UUID())"
        let process = try ChildProcess(tollgateBinary.path, ["services", "run", "gateway", "--port", "0", "--jwt-secret", secret], captureError: false)
        let banner = await process.output(until: "Ctrl-C stops", timeout: 60)
        defer { process.send(SIGKILL) }
        #expect(banner.contains("Ctrl-C stops"), "\(banner)")
        #expect(!banner.contains("token:") && !banner.contains("eyJ"), "\(banner)")
        // The rollout lives in the process: its start says so, and the API says since when.
        #expect(banner.contains("Rollout: 100 % of users to the new services, from the default — kept in this process only"), "\(banner)")
        let url = try #require(banner.split(separator: "\n").first { $0.contains("listening on") }.flatMap { $0.split(separator: " ").last }.map(String.init))

        let minted = try await runTollgate(["services", "token", "--lifetime", "10m", "--subject", "ci-gate"], environment: ["JWT_SECRET": secret])
        #expect(minted.status == 0, "\(minted.err)")
        let token = minted.out.trimmingCharacters(in: .whitespacesAndNewlines)
        let payload = try #require(token.split(separator: ".").dropFirst().first.map(String.init))
        let padded = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + String(repeating: "=", count: (4 - payload.count % 4) % 4)
        let decoded = try #require(Data(base64Encoded: padded))
        let claims = try #require(try JSONSerialization.jsonObject(with: decoded) as? [String: Any])
        #expect(claims["role"] as? String == "admin" && claims["sub"] as? String == "ci-gate")
        #expect((claims["exp"] as? Int ?? 0) - (claims["iat"] as? Int ?? 0) == 600)
        let response = try await HTTPClientPool().send(HTTPClientRequest(method: "PUT", url: url + "/admin/rollout",
                                                                           headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(token)")],
                                                                           body: Array(#"{"percent": 50}"#.utf8)))
        #expect(response.status == 200, "\(response.bodyText)")
        #expect(response.bodyText.contains("\"kept_since\""), "\(response.bodyText)")

        let noSecret = try await runTollgate(["services", "token"], environment: ["JWT_SECRET": ""])
        #expect(noSecret.status == 2 && noSecret.err.contains("no secret: set JWT_SECRET"), "\(noSecret.err)")
        let tooLong = try await runTollgate(["services", "token", "--lifetime", "90d"], environment: ["JWT_SECRET": secret])
        #expect(tooLong.status == 2 && tooLong.err.contains("--lifetime"), "\(tooLong.err)")
    }

    /// `services run NAME` with `NAME` and its flags as `args`; returns once it listens, with what it printed.
    func servicesRun(_ args: [String]) async throws -> (process: ChildProcess, banner: String) {
        let process = try ChildProcess(tollgateBinary.path, ["services", "run"] + args, captureError: false)
        let banner = await process.output(until: "Ctrl-C stops", timeout: 60)
        guard banner.contains("Ctrl-C stops") else {
            process.send(SIGKILL)
            let ended = await process.ended()
            throw ChildProcess.SpawnError(description: "services run \(args) did not start (\(ended)); it printed:\n\(banner)")
        }
        return (process, banner)
    }

    /// The Kubernetes layout (one service per process, as deploy/k8s/services runs them): the
    /// monolith on its database, the user service dual-writing into that database.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"] != nil,
                   "needs PostgreSQL: TOLLGATE_TEST_DATABASE_URL is not set (make test starts a server)"))
    func oneServicePerProcessDualWritesIntoTheMonolithsDatabase() async throws {
        let server = try #require(ProcessInfo.processInfo.environment["TOLLGATE_TEST_DATABASE_URL"])
        var base = try #require(URLComponents(string: server))
        base.path = "/k" + UUID().uuidString.prefix(8).lowercased()
        let database = try #require(base.string)
        let shared = "a-secret-the-two-processes-share-\(UUID())"
        let secret = ["--jwt-secret", shared]
        let (monolithPort, userPort) = (freePort(), freePort())
        let (monolith, _) = try await servicesRun(["monolith", "--port", "\(monolithPort)", "--database-url", database, "--seed-products", "5"] + secret)
        defer { monolith.send(SIGINT) }
        let (user, userBanner) = try await servicesRun(["user", "--port", "\(userPort)", "--monolith-database-url", database] + secret)
        defer { user.send(SIGINT) }
        #expect(userBanner.contains("dual-writing into the monolith's database"), "\(userBanner)")
        // An operator's token, minted with the shared secret (no service prints one).
        let minted = try await runTollgate(["services", "token", "--lifetime", "5m"], environment: ["JWT_SECRET": shared])
        let token = minted.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(minted.status == 0 && !token.isEmpty, "\(minted.err)")
        let client = HTTPClientPool()
        let email = "k8s-\(UUID().uuidString.prefix(6).lowercased())@example.com"
        let registered = try await client.send(HTTPClientRequest(method: "POST", url: "http://127.0.0.1:\(userPort)/api/v1/users/register", headers: [("Content-Type", "application/json")],
                                                                 body: Array(#"{"email": "\#(email)", "password": "password123", "first_name": "K", "last_name": "Eight"}"#.utf8), timeout: 10))
        #expect(registered.status == 201, "\(String(decoding: registered.body, as: UTF8.self))")
        let export = try await client.send(HTTPClientRequest(url: "http://127.0.0.1:\(monolithPort)/admin/export/users", headers: [("Authorization", "Bearer \(token)")], timeout: 10))
        #expect(export.status == 200)
        #expect(String(decoding: export.body, as: UTF8.self).contains(email), "the user the service registered is in the monolith's database")
        user.send(SIGINT)
        monolith.send(SIGINT)
        let (userEnded, monolithEnded) = (await user.ended(), await monolith.ended())
        #expect(userEnded.code == 0 && monolithEnded.code == 0, "\(userEnded) \(monolithEnded)")
    }
}
