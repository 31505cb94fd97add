import ArgumentParser
import ContractCore
import LoadEngine
import Foundation
import ReferenceServices
import Reports
import Verifier

/// `tollgate demo`: no set-up. Starts the reference services in this process, verifies every
/// contract against them (HTTP, and events over the embedded broker), runs every shipped flow
/// and the smoke load profile through the gateway, and writes the reports.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start the reference services, verify the contracts, run the flows and a smoke load, write reports.",
        discussion: "Exit status: 0 every contract verified, every flow passed and the smoke load held its objectives, 1 something did not, 2 the demo could not run.")

    @Option(help: "Where the pacts are.") var contracts = "contracts"
    @Option(help: "Where the flows are.") var flows = "flows"
    @Option(help: "The load profile the demo runs.") var smokeProfile = "loadprofiles/smoke.yaml"
    @Option(help: "Where reports are written.") var reports = "reports"
    @Option(help: "Run the services on PostgreSQL (one database per service) instead of in memory.") var databaseURL: String?

    func run() async throws {
        print("Starting the reference services (embedded Kafka, \(databaseURL == nil ? "in-memory stores" : "PostgreSQL"))…")
        var c = StackConfiguration.ephemeral()
        // As `services up` seeds it: the flows and profiles read products 1…300.
        c.seedProducts = 300
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
            failed = try await runFlows(stack) || failed
            failed = try await runSmokeLoad(stack) || failed
        } catch {
            FileHandle.standardError.write(Data("tollgate demo: error: \(error)\n".utf8))
            await stack.stop()
            throw ExitCode(ExitStatus.error)
        }
        await stack.stop()
        print(failed ? "\n✗ The demo found problems (see above)." : "\n✓ Contracts verified, every flow passed, the smoke load held its objectives.")
        print("Open \(reports)/demo-load.html, \(reports)/demo-flows.html and \(reports)/demo-verification.html.")
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

    /// Every shipped flow through the gateway, events read back from the embedded broker;
    /// true when a flow failed.
    func runFlows(_ stack: ServiceStack) async throws -> Bool {
        print("\nFlows through the gateway (\(flows)/), events from the broker:")
        let files = try FileManager.default.contentsOfDirectory(atPath: flows).filter { $0.hasSuffix(".yaml") }.sorted()
        let loaded = try files.map { try FlowLoader.load(file: "\(flows)/\($0)", environment: [:]) }
        let report = try await FlowCommand.run(loaded, target: TargetURL(stack.gatewayURL)!, kafkaBrokers: stack.kafkaBootstrap)
        let written = try report.write(json: nil, html: nil, junit: nil, defaultStem: "\(reports)/demo-flows")
        print("Reports: " + written.joined(separator: ", "))
        return !report.passed
    }

    /// The smoke load profile against the gateway; true when an objective was breached.
    func runSmokeLoad(_ stack: ServiceStack) async throws -> Bool {
        var profile = try ProfileLoader.load(file: smokeProfile, environment: [:])
        profile.target = stack.gatewayURL
        print("\nLoad: \(profile.name) (\(DurationText.describe(profile.duration))) against the gateway…")
        let run = LoadRun(profile: profile, target: TargetURL(stack.gatewayURL)!)
        let outcome = try await run.run()
        let result = LoadResult(profile: profile, outcome: outcome, target: stack.gatewayURL, shard: .whole, tollgateVersion: Tollgate.version)
        print(result.summaryText())
        let written = try LoadReportFiles.write(result, json: nil, html: nil, junit: nil, defaultStem: "\(reports)/demo-load")
        print("Reports: " + written.joined(separator: ", "))
        return !result.verdict.passed
    }
}
