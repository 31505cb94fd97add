import ArgumentParser
import ContractCore
import Foundation
import PactBroker
import TransportHTTP
import Verifier

/// `verify --broker-url`: the pacts a Pact Broker selects for the provider, and with `--publish`
/// the results sent back, as the Pact CLI's verifier does (its flags, its environment variables).
struct BrokerOptions: ParsableArguments {
    @Option(help: "Verify what this Pact Broker selects for --provider (or set PACT_BROKER_BASE_URL; credentials from PACT_BROKER_TOKEN or PACT_BROKER_USERNAME/PASSWORD).")
    var brokerURL: String?
    @Option(name: .customLong("consumer-version-selectors"),
            help: "Consumer version selectors as JSON (repeatable; default [{\"mainBranch\":true},{\"deployedOrReleased\":true}]).")
    var selectors: [String] = []
    @Flag(help: "Ask for pending status: a pending pact's failures are shown and reported, and do not fail the run.") var enablePending = false
    @Option(help: "Include work-in-progress pacts published since this date (YYYY-MM-DD; needs --enable-pending).") var includeWipPactsSince: String?
    @Flag(help: "Publish the results to the broker (needs --provider-version).") var publish = false
    @Option(help: "The provider version verified (for --publish).") var providerVersion: String?
    @Option(help: "The provider's branch: recorded with the results, and what pending status and matchingBranch selectors go by.") var providerBranch: String?
    @Option(help: "The CI build that verified (for --publish).") var buildURL: String?

    /// Whether the pacts come from a broker: `--broker-url`, or PACT_BROKER_BASE_URL with no pact named.
    func isUsed(pactsNamed: Bool) -> Bool {
        brokerURL != nil || (!pactsNamed && !(ProcessInfo.processInfo.environment["PACT_BROKER_BASE_URL"] ?? "").isEmpty)
    }

    func problems(provider: String?, pactsNamed: Bool) -> [String] {
        guard isUsed(pactsNamed: pactsNamed) else {
            let given = [("--consumer-version-selectors", !selectors.isEmpty), ("--enable-pending", enablePending), ("--publish", publish),
                         ("--include-wip-pacts-since", includeWipPactsSince != nil)].filter(\.1).map(\.0)
            return (pactsNamed ? [] : [PactSourceOptions.missing + ", or --broker-url"]) + given.map { "\($0) is for --broker-url" }
        }
        var problems: [String] = []
        if pactsNamed { problems.append("give pact files or --broker-url, not both") }
        if provider == nil { problems.append("--broker-url needs --provider (the provider whose pacts the broker selects)") }
        do { _ = try ConsumerVersionSelectors.parse(selectors) } catch { problems.append(error.description) }
        if let since = includeWipPactsSince {
            if !enablePending { problems.append("--include-wip-pacts-since needs --enable-pending (WIP pacts are always pending)") }
            if since.wholeMatch(of: /\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?/) == nil {
                problems.append("--include-wip-pacts-since '\(since.prefix(40))' must be a date (2026-01-31) or an ISO 8601 time")
            }
        }
        if publish, providerVersion?.isEmpty ?? true { problems.append("--publish needs --provider-version") }
        return problems
    }

    /// The pacts the broker selects, each one's notices printed.
    func select(provider: String) async throws(BrokerError) -> BrokerSelection {
        let client = try BrokerClient.fromEnvironment(url: brokerURL, http: .shared)
        var request = VerificationRequest(provider: provider)
        if !selectors.isEmpty { request.selectors = try ConsumerVersionSelectors.parse(selectors) }
        request.providerBranch = providerBranch
        request.includePending = enablePending
        request.wipSince = includeWipPactsSince
        let pacts = try await client.pactsForVerification(request)
        print("\(pacts.count) pact(s) from the broker at \(client.baseURL) for \(provider)")
        for pact in pacts {
            print("  \(pact.label)\(pact.wip ? " (work in progress, pending)" : pact.pending ? " (pending)" : "")")
            for notice in pact.notices { print("    \(notice)") }
        }
        return BrokerSelection(client: client, pacts: pacts)
    }

    /// With `--publish`, each pact's results to its `pb:publish-verification-results`.
    func publishResults(_ report: VerificationReport, for selection: BrokerSelection?, tollgateVersion: String) async throws(BrokerError) {
        guard publish, let version = providerVersion, let selection, !selection.pacts.isEmpty else { return }
        let (client, pacts) = (selection.client, selection.pacts)
        let release = ProviderRelease(version: version, branch: providerBranch, buildURL: buildURL, tollgateVersion: tollgateVersion)
        try await client.recordBranch(provider: pacts[0].pact.provider, release: release)
        for pact in pacts {
            let verdicts = report.results.filter { $0.source == pact.url }.map { result in
                InteractionVerdict(description: result.description, success: result.outcome.isPassed, mismatches: Self.mismatches(result.outcome))
            }
            try await client.publishResults(for: pact, verdicts: verdicts, release: release)
            print("  results for \(pact.pact.consumer) published to the broker (\(verdicts.allSatisfy(\.success) ? "success" : "failure"))")
        }
    }

    private static func mismatches(_ outcome: InteractionOutcome) -> [String] {
        switch outcome {
        case .passed: return []
        case .failed(let mismatches): return mismatches.map { "\($0)" }
        case .error(let message): return [message]
        }
    }
}

/// What a broker selected for verification, and the client that asked (results go back through it).
struct BrokerSelection {
    let client: BrokerClient
    let pacts: [BrokerPact]
}
