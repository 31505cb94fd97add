import ArgumentParser
import ContractCore
import Flows
import Foundation
import Gate
import LoadEngine
import ReferenceServices
import Reports
import ServerRuntime
import SLO
import Steps
import Verifier

/// `tollgate demo`: no set-up. Starts the reference services in this process, verifies every
/// contract against them (HTTP, and events over the embedded broker), runs every shipped flow
/// and the smoke load profile through the gateway, and writes the reports.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start the reference services and the monolith, verify the contracts, run the flows, a smoke load and the rollout gate, write reports.",
        discussion: "Exit status: 0 every contract verified, every flow passed and the smoke load held its objectives, 1 something did not, 2 the demo could not run.")

    @Option(help: "Where the pacts are.") var contracts = "contracts"
    @Option(help: "Where the flows are.") var flows = "flows"
    @Option(help: "The load profile the demo runs.") var smokeProfile = "loadprofiles/smoke.yaml"
    @Option(help: "The gate file the demo runs twice.") var gateFile = "loadprofiles/gate.yaml"
    @Option(help: "Where reports are written.") var reports = "reports"
    @Option(help: "Run the services on PostgreSQL (one database per service) instead of in memory.") var databaseURL: String?

    func run() async throws {
        // The services run in this process: their warnings (a payment provider the demo takes
        // down on purpose) would drown the demo's own output. LOG_LEVEL still wins.
        setenv("LOG_LEVEL", "error", 0)
        print("Starting the reference services (embedded Kafka, \(databaseURL == nil ? "in-memory stores" : "PostgreSQL"))…")
        var c = StackConfiguration.ephemeral()
        // As `services up` seeds it: the flows and profiles read products 1…300.
        c.seedProducts = 300
        c.providerStates = true
        c.databaseURL = databaseURL
        // The stage profiles' synthetic clients (X-Forwarded-For from this machine) are many users
        // to the gateway's split, so the canary judge has both paths to compare.
        c.trustedProxies = TrustedProxies(parsing: "127.0.0.1") ?? TrustedProxies()
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
            failed = try await runGates(stack) || failed
            failed = try await runCanaryParts() || failed
        } catch {
            FileHandle.standardError.write(Data("tollgate demo: error: \(error)\n".utf8))
            await stack.stop()
            throw ExitCode(ExitStatus.error)
        }
        await stack.stop()
        print(failed ? "\n✗ The demo found problems (see above)."
                     : "\n✓ Contracts verified, every flow passed, the smoke load held its objectives; the gate let stage 25 % proceed and rolled stage 50 % back to 0 % when the payment provider failed; "
                        + "the canary judge caught services 150 ms slower than the monolith under the absolute limits, and response parity a renamed field.")
        print("Open \(reports)/demo-load.html, \(reports)/demo-flows.html, \(reports)/demo-verification.html, \(reports)/gate-stage-25.html, \(reports)/gate-stage-50.html, "
              + "\(reports)/gate-stage-25-slower.html and \(reports)/demo-parity.html.")
        throw ExitCode(failed ? ExitStatus.failed : ExitStatus.passed)
    }

    /// Every pact in `contracts`, each against its provider as the shipped gate file describes it
    /// (its state-change URL and headers), the gate file's addresses pointed at this stack.
    func verifyContracts(_ stack: ServiceStack) async throws -> VerificationReport {
        print("\nVerifying \(contracts)/ against the services…")
        let gate = try GateLoader.load(file: gateFile, environment: environment(stack))
        let pacts = try await PactLoader().load([contracts])
        let printer = TreePrinter()
        let combined = try await ProviderContracts.verify(pacts, providers: gate.contracts?.providers ?? [], credential: stack.adminToken,
                                                          kafkaBrokers: stack.kafkaBootstrap, progress: { printer.print($0) },
                                                          skipped: { print("  (\(gateFile) names no provider \($0); its pacts are skipped)") })
        printer.summary(combined)
        return combined
    }

    /// The environment the shipped gate file is read with: its addresses pointed at `stack`.
    func environment(_ stack: ServiceStack) -> [String: String] {
        ProcessInfo.processInfo.environment
            .merging(stack.environment.merging(["TOLLGATE_ADMIN_TOKEN": stack.adminToken]) { _, token in token }) { _, demo in demo }
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

    /// The rollout gate twice: stage 25 % with everything healthy (proceed), then stage 50 % with
    /// the payment provider failing, applied with --auto-rollback (roll back to 0 %); true when
    /// a verdict was not the one expected.
    func runGates(_ stack: ServiceStack) async throws -> Bool {
        // The shipped gate file, its addresses pointed at this stack.
        let environment = environment(stack)
        func options(stage: Int, autoRollback: Bool) -> GateOptions {
            var options = GateOptions(stage: stage)
            options.duration = 8
            options.autoRollback = autoRollback
            options.environment = environment
            options.tollgateVersion = Tollgate.version
            return options
        }
        print("\n── Rollout gate (\(gateFile)), stage 25 %, everything healthy ──")
        let healthy = await GateConsole(quiet: true, defaultStem: "\(reports)/gate-stage-25").check(file: gateFile, options: options(stage: 25, autoRollback: false))
        print("\n── Rollout gate, stage 50 %, the payment provider down (every charge fails), --auto-rollback ──")
        await stack.providerState.setFaults(ProviderFaults(latencyMs: 0, failureRate: 1))
        let failing = await GateConsole(quiet: true, defaultStem: "\(reports)/gate-stage-50").check(file: gateFile, options: options(stage: 50, autoRollback: true))
        await stack.providerState.setFaults(ProviderFaults())
        return healthy.verdict.action != .proceed || failing.verdict.action != .rollback || failing.rollout.after != 0
    }

    /// The smoke load profile against the gateway; true when an objective was breached.
    func runSmokeLoad(_ stack: ServiceStack) async throws -> Bool {
        var profile = try ProfileLoader.load(file: smokeProfile, environment: [:])
        profile.target = stack.gatewayURL
        print("\nLoad: \(profile.name) (\(DurationText.describe(profile.duration))) against the gateway…")
        let result = try await LoadSession(profile: profile, target: TargetURL(stack.gatewayURL)!, tollgateVersion: Tollgate.version).result()
        print(result.summaryText())
        let written = try LoadReportFiles.write(result, json: nil, html: nil, junit: nil, defaultStem: "\(reports)/demo-load")
        print("Reports: " + written.joined(separator: ", "))
        return !result.verdict.passed
    }
}
