import Foundation
package import ServerRuntime

/// How to run the reference services: ports, infrastructure, seed data, rollout.
package struct StackConfiguration: Sendable {
    package var host = "127.0.0.1"
    package var gatewayPort = 8000
    /// The legacy monolith's port (started unless `legacyURL` names another legacy upstream).
    package var monolithPort = 3000
    package var userPort = 3001
    package var catalogPort = 3002
    package var orderPort = 3003
    package var paymentPort = 3004
    package var providerPort = 3005
    /// Kafka bootstrap servers; nil starts the embedded broker.
    package var kafkaBrokers: String?
    /// A fixed bootstrap port for the embedded broker (forwarded to the port it picked).
    package var kafkaPort: Int?
    /// A PostgreSQL server URL; each service gets its own database there. nil keeps data in memory.
    package var databaseURL: String?
    /// The HS256 secret the services share; random per run unless one is given.
    package var jwtSecret = JWTSigner.randomSecret()
    package var seedProducts = 300
    package var adminEmail = "admin@tollgate.local"
    /// The seeded admin's password: random per run unless one is given.
    package var adminPassword = JWTSigner.randomSecret()
    /// Another legacy upstream for the gateway instead of the reference monolith (which then
    /// does not start, and the services write to no monolith), and the share of users sent to
    /// the new services.
    package var legacyURL: String?
    package var rolloutPercent = 100
    /// Proxies whose `X-Forwarded-For` the gateway believes for sticky routing (none by default).
    package var trustedProxies = TrustedProxies()
    /// The gateway mirrors this share (0–100) of GETs to both sides and counts parity (`gateway_parity_total`).
    package var mirrorPercent = 0.0
    /// JSON paths the mirror never compares.
    package var mirrorIgnored: Set<String> = []
    package var providerFaults = ProviderFaults()
    /// Seconds the payment service waits for the provider per attempt (it tries three times).
    package var providerTimeout: Double = 3
    /// Seconds before the payment service replays a charge the provider did not answer.
    package var reconcileAfter: Double = 5
    /// Use this payment provider (e.g. a `tollgate stub`) instead of starting the reference one.
    package var providerURL: String?
    /// Serve the contracts' provider-state endpoint (`POST /_pact/provider-states`); never on by default.
    package var providerStates = false
    /// Deliberate defects (see `Breakage`).
    package var breakages: [Breakage] = []
    /// Where every service of the stack logs; nil for the process's logging system.
    package var log: LogDestination?

    var serviceOptions: ServiceOptions { ServiceOptions(providerStates: providerStates, breakages: breakages) }

    /// The share of dual writes `--break dual-write-drop=…` drops.
    var dualWriteDrop: Double {
        breakages.reduce(0) { if case .dualWriteDrop(let share) = $1 { return share } else { return $0 } }
    }

    package init() {}

    /// Every port 0: the operating system picks free ones (tests).
    package static func ephemeral() -> StackConfiguration {
        var c = StackConfiguration()
        c.gatewayPort = 0; c.monolithPort = 0; c.userPort = 0; c.catalogPort = 0; c.orderPort = 0; c.paymentPort = 0; c.providerPort = 0
        c.seedProducts = 20
        return c
    }
}
