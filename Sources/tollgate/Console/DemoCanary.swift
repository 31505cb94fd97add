import Foundation
import Gate
import ReferenceServices
import Reports
import ResponseParity
import SLO

/// The demo's relative checks, each on a stack of its own with one defect: the new path
/// slower than the old (the canary judge sees it under the absolute limits), and a field the
/// new path renamed (response parity finds it).
extension DemoCommand {
    /// True when a check did not find its defect.
    func runCanaryParts() async throws -> Bool {
        print("\n── Rollout gate, stage 25 %, the catalog service 150 ms slower than the monolith on product reads ──")
        let slower = try await Self.stack { $0.breakages = [.slowRoute(service: "catalog-service", pathPrefix: "/api/v1/products/", milliseconds: 150)] }
        var options = GateOptions(stage: 25)
        options.duration = 8
        options.environment = environment(slower)
        options.tollgateVersion = Tollgate.version
        let judged = await GateConsole(quiet: true, defaultStem: "\(reports)/gate-stage-25-slower").check(file: gateFile, options: options)
        await slower.stop()
        let caught = judged.triggers.contains { $0.name == "canary judge" && $0.breached }

        print("\n── Response parity: the monolith against the catalog service, which renamed 'name' to 'title' ──")
        let renamed = try await Self.stack { $0.breakages = [.renameField(service: "catalog-service", from: "name", to: "title")] }
        let (requests, skipped) = try ParitySources.requests([smokeProfile], repeats: 5, environment: [:])
        var parityOptions = ParityOptions()
        // Each side seeded its own rows: their timestamps differ, and are not what is compared.
        parityOptions.comparison = JSONComparison(ignored: ["$.created_at", "$.updated_at", "$.products[*].created_at", "$.products[*].updated_at"])
        var parity = await ParityReplay.run(requests, baseline: renamed.url("monolith") ?? "", candidate: renamed.url("catalog-service") ?? "", options: parityOptions)
        await renamed.stop()
        parity.skipped = skipped
        print(parity.text())
        let written = try parity.write(json: nil, html: nil, junit: nil, defaultStem: "\(reports)/demo-parity")
        print("Reports: " + written.joined(separator: ", "))
        let found = parity.endpoints.contains { endpoint in endpoint.differences.contains { $0.path.hasSuffix(".title") } }
        return !caught || !found
    }

    /// A stack as the demo's own, with `change` applied.
    private static func stack(_ change: (inout StackConfiguration) -> Void) async throws -> ServiceStack {
        var c = StackConfiguration.ephemeral()
        c.seedProducts = 300
        c.providerStates = true
        c.trustedProxies = TrustedProxies(parsing: "127.0.0.1") ?? TrustedProxies()
        change(&c)
        return try await ServiceStack.start(c)
    }
}
