import ArgumentParser
import ContractCore
import Foundation
import ReferenceServices
import Reports
import Transport
import Verifier

/// `tollgate demo`: no set-up. Starts the reference services in this process, verifies every
/// contract against them (HTTP, and events over the embedded broker), drives a purchase
/// through the gateway, and writes the reports.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start the reference services, verify the contracts, drive a purchase, write reports.",
        discussion: "Exit status: 0 every contract verified and the purchase behaved, 1 something did not, 2 the demo could not run.")

    @Option(help: "Where the pacts are.") var contracts = "contracts"
    @Option(help: "Where reports are written.") var reports = "reports"
    @Option(help: "Run the services on PostgreSQL (one database per service) instead of in memory.") var databaseURL: String?

    func run() async throws {
        print("Starting the reference services (embedded Kafka, \(databaseURL == nil ? "in-memory stores" : "PostgreSQL"))…")
        var c = StackConfiguration.ephemeral()
        c.seedProducts = 60
        c.providerStates = true
        c.databaseURL = databaseURL
        let stack: ServiceStack
        do { stack = try await ServiceStack.start(c) } catch {
            FileHandle.standardError.write(Data("tollgate demo: error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        for service in stack.services { print("  \(service.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(service.url)") }
        print("  \("kafka".padding(toLength: 18, withPad: " ", startingAt: 0)) \(stack.kafkaBootstrap)")

        var failed = false
        do {
            let report = try await verifyContracts(stack)
            failed = !report.succeeded
            try VerificationReportFiles.write(report, error: nil, json: "\(reports)/demo-verification.json",
                                              junit: "\(reports)/demo-verification.junit.xml", html: "\(reports)/demo-verification.html")
            print("Reports: \(reports)/demo-verification.json, .junit.xml, .html")
            failed = try await purchase(stack) || failed
        } catch {
            FileHandle.standardError.write(Data("tollgate demo: error: \(error)\n".utf8))
            await stack.stop()
            throw ExitCode(ExitStatus.error)
        }
        await stack.stop()
        print(failed ? "\n✗ The demo found problems (see above)." : "\n✓ Contracts verified and the purchase flow works.")
        throw ExitCode(failed ? ExitStatus.failed : ExitStatus.passed)
    }

    /// Every pact in `contracts`, each against its provider.
    func verifyContracts(_ stack: ServiceStack) async throws -> VerificationReport {
        print("\nVerifying \(contracts)/ against the services…")
        let pacts = try await PactLoader().load([contracts])
        let printer = TreePrinter()
        var combined = VerificationReport()
        let started = Date()
        let pairs = Set(pacts.map { [$0.pact.provider, $0.pact.consumer] }).sorted { $0.lexicographicallyPrecedes($1) }
        for pair in pairs {
            let (provider, consumer) = (pair[0], pair[1])
            guard let url = stack.url(provider) else {
                print("  (no reference service is called \(provider); its pacts are skipped)")
                continue
            }
            var options = VerifyOptions()
            options.provider = provider
            options.consumer = consumer
            // Between services, calls carry a service credential (a Pact "custom header").
            if consumer.hasSuffix("-service") && provider != "payment-provider" { options.headers = [("Authorization", "Bearer \(stack.serviceToken)")] }
            options.providerBaseURL = url
            options.stateChangeURL = url + "/_pact/provider-states"
            options.kafkaBrokers = stack.kafkaBootstrap
            let report = try await ProviderVerifier(options: options).verify(pacts) { printer.print($0) }
            combined.results += report.results
        }
        combined.startedAt = started
        combined.duration = Date().timeIntervalSince(started)
        printer.summary(combined)
        return combined
    }

    /// The purchase flow through the gateway; true when a step did not go as the guide says.
    func purchase(_ stack: ServiceStack) async throws -> Bool {
        print("\nA purchase through the gateway:")
        let client = HTTPClientPool.shared
        let base = stack.gatewayURL
        var failed = false
        func step(_ name: String, _ method: String, _ path: String, body: String? = nil, token: String? = nil, expect status: Int) async throws -> [String: Any] {
            var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
            if let token { headers.append(("Authorization", "Bearer \(token)")) }
            let response = try await client.send(HTTPClientRequest(method: method, url: base + path, headers: headers, body: Array((body ?? "").utf8)))
            let ok = response.status == status
            failed = failed || !ok
            print("  \(ok ? "✓" : "✗") \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(method) \(path) → \(response.status)\(ok ? "" : " (expected \(status))")  \(String(format: "%.0f ms", response.elapsed * 1000))")
            return (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
        }
        let email = "demo-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        _ = try await step("register", "POST", "/api/v1/users/register", body: #"{"email": "\#(email)", "password": "demo-password", "first_name": "Demo", "last_name": "Shopper"}"#, expect: 201)
        let login = try await step("log in", "POST", "/api/v1/users/login", body: #"{"email": "\#(email)", "password": "demo-password"}"#, expect: 200)
        let token = login["token"] as? String ?? ""
        _ = try await step("browse", "GET", "/api/v1/products?per_page=5", expect: 200)
        let address = #""shipping_address": {"street": "1 Main St", "city": "Springfield", "state": "IL", "zip_code": "62701", "country": "US"}"#
        let order = try await step("order and pay", "POST", "/api/v1/orders", body: #"{"items": [{"product_id": 3, "quantity": 2}], \#(address), "payment_method": "pm_card_visa"}"#, token: token, expect: 201)
        if let id = order["id"] as? String {
            let confirmed = try await step("confirmation", "GET", "/api/v1/orders/\(id)", token: token, expect: 200)
            if confirmed["status"] as? String != "confirmed" { failed = true; print("    ✗ the order is \(confirmed["status"] ?? "unknown"), not confirmed") }
        }
        _ = try await step("card declined", "POST", "/api/v1/orders", body: #"{"items": [{"product_id": 4, "quantity": 1}], \#(address), "payment_method": "pm_card_chargeDeclined"}"#, token: token, expect: 402)
        _ = try await step("out of stock", "POST", "/api/v1/orders", body: #"{"items": [{"product_id": 5, "quantity": 1000}], \#(address), "payment_method": "pm_card_visa"}"#, token: token, expect: 409)
        return failed
    }
}
