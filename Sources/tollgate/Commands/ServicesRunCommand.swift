import ArgumentParser
import Foundation
import ReferenceServices
import ServerRuntime

/// `tollgate services run NAME`: one reference service, its peers elsewhere.
struct ServicesRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start one reference service; peers, database and brokers come from flags or the environment.",
        discussion: "NAME is one of: \(SingleServiceOptions.names.joined(separator: ", ")). Exit status: 0 stopped by SIGINT/SIGTERM, 130 stopped by a second signal, 2 the service could not start or a flag is wrong.")

    @Argument(help: "The service to run.") var name: String
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (default: the guide's port for the service; env PORT).") var port: Int?
    @Option(help: "This service's database (env DATABASE_URL). Default: in memory.") var databaseURL: String?
    @Option(help: "Kafka brokers (env KAFKA_BROKERS). Default: an embedded broker.") var kafkaBrokers: String?
    @Option(help: "HS256 secret for JWTs (env JWT_SECRET).") var jwtSecret: String?
    @Option(help: "env USER_SERVICE_URL") var userServiceURL: String?
    @Option(help: "env CATALOG_SERVICE_URL") var catalogServiceURL: String?
    @Option(help: "env ORDER_SERVICE_URL") var orderServiceURL: String?
    @Option(help: "env PAYMENT_SERVICE_URL") var paymentServiceURL: String?
    @Option(help: "env PAYMENT_PROVIDER_URL") var paymentProviderURL: String?
    @Option(help: "Gateway: the legacy monolith (env LEGACY_URL).") var legacyURL: String?
    @Option(help: "User, catalog, order: the monolith's database, dual-written while the rollout runs (env MONOLITH_DATABASE_URL).") var monolithDatabaseURL: String?
    @Option(help: "Gateway: share of users (0-100) for the new services (env ROLLOUT_PERCENT).") var rolloutPercent: Int?
    @Option(help: "Gateway: mirror this share (0-100) of GETs to both sides and count their parity (env MIRROR_PERCENT; default 0).") var mirrorPercent: Double?
    @Option(name: .customLong("mirror-ignore"), help: "Gateway: a JSON path the mirror never compares (repeatable; env MIRROR_IGNORE, comma-separated).") var mirrorIgnored: [String] = []
    @Option(help: "Gateway: proxies whose X-Forwarded-For it believes for sticky routing, comma-separated addresses or IPv4 ranges (env TRUSTED_PROXIES; default none).") var trustedProxies: String?
    @Option(help: "Payment provider: added latency in milliseconds.") var providerLatencyMs = 0
    @Option(help: "Payment provider: share (0-1) of requests failing with 500.") var providerFailureRate = 0.0
    @Option(help: "Catalog: products to seed when the catalog is empty.") var seedProducts = 300
    @Flag(help: "Serve POST /_pact/provider-states on each service, for tollgate verify (never on by default).") var providerStates = false
    @Option(name: .customLong("break"), help: ArgumentHelp("Break a service on purpose (repeatable): \(Breakage.forms).")) var breaks: [String] = []
    @Option(help: "Seconds in-flight requests get to finish after SIGINT/SIGTERM before they are cancelled.") var shutdownTimeout = 5.0

    func validate() throws {
        guard SingleServiceOptions.names.contains(name) else {
            throw ValidationError("unknown service '\(name)'; one of \(SingleServiceOptions.names.joined(separator: ", "))")
        }
        for spec in breaks where Breakage(spec: spec) == nil {
            throw ValidationError("--break '\(spec)' is not one of \(Breakage.forms)")
        }
        var problems: [String] = []
        if let port, !(0...65535).contains(port) { problems.append("--port must be 0-65535") }
        if let rolloutPercent, !(0...100).contains(rolloutPercent) { problems.append("--rollout-percent must be 0-100") }
        if let trustedProxies, TrustedProxies(parsing: trustedProxies) == nil { problems.append("--trusted-proxies '\(trustedProxies.prefix(80))' must list addresses or IPv4 ranges (10.0.0.0/8)") }
        if !(0...1).contains(providerFailureRate) { problems.append("--provider-failure-rate must be between 0 and 1") }
        if providerLatencyMs < 0 { problems.append("--provider-latency-ms must not be negative") }
        if seedProducts < 0 { problems.append("--seed-products must not be negative") }
        if !(0...300).contains(shutdownTimeout) { problems.append("--shutdown-timeout must be between 0 and 300 seconds") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        let givenSecret = jwtSecret ?? env("JWT_SECRET")
        var o = givenSecret.map { SingleServiceOptions(name: name, jwtSecret: $0) } ?? SingleServiceOptions(name: name)
        warnAboutSecret(givenSecret)
        o.host = host
        o.port = try port ?? Self.environmentInteger("PORT", in: 0...65535)
        o.databaseURL = databaseURL ?? env("DATABASE_URL")
        o.kafkaBrokers = kafkaBrokers ?? env("KAFKA_BROKERS")
        o.userServiceURL = userServiceURL ?? env("USER_SERVICE_URL") ?? o.userServiceURL
        o.catalogServiceURL = catalogServiceURL ?? env("CATALOG_SERVICE_URL") ?? o.catalogServiceURL
        o.orderServiceURL = orderServiceURL ?? env("ORDER_SERVICE_URL") ?? o.orderServiceURL
        o.paymentServiceURL = paymentServiceURL ?? env("PAYMENT_SERVICE_URL") ?? o.paymentServiceURL
        o.paymentProviderURL = paymentProviderURL ?? env("PAYMENT_PROVIDER_URL") ?? o.paymentProviderURL
        o.legacyURL = legacyURL ?? env("LEGACY_URL")
        o.monolithDatabaseURL = monolithDatabaseURL ?? env("MONOLITH_DATABASE_URL")
        o.rolloutPercent = try rolloutPercent ?? Self.environmentInteger("ROLLOUT_PERCENT", in: 0...100) ?? 100
        let proxies = trustedProxies ?? env("TRUSTED_PROXIES") ?? ""
        guard let trusted = TrustedProxies(parsing: proxies) else {
            FileHandle.standardError.write(Data("tollgate services run: error: TRUSTED_PROXIES '\(proxies.prefix(80))' must list addresses or IPv4 ranges (10.0.0.0/8)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        o.trustedProxies = trusted
        let mirror = mirrorPercent ?? env("MIRROR_PERCENT").flatMap(Double.init) ?? 0
        guard (0...100).contains(mirror) else {
            FileHandle.standardError.write(Data("tollgate services run: error: MIRROR_PERCENT (--mirror-percent) must be 0-100\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        o.mirrorPercent = mirror
        o.mirrorIgnored = Set(mirrorIgnored.isEmpty ? (env("MIRROR_IGNORE") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : mirrorIgnored)
        o.providerFaults = ProviderFaults(latencyMs: providerLatencyMs, failureRate: providerFailureRate)
        o.seedProducts = seedProducts
        o.providerStates = providerStates
        o.breakages = breaks.compactMap(Breakage.init(spec:))
        let started: StartedService
        do { started = try await SingleService.start(o) } catch {
            FileHandle.standardError.write(Data("tollgate services run: error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        print("\(name) listening on \(started.service.url)")
        if name == "gateway" {
            // The rollout lives in this process: say so, so a rescheduled pod's reset is seen in its log.
            print("Rollout: \(o.rolloutPercent) % of users to the new services, from \(rolloutPercent != nil ? "--rollout-percent" : env("ROLLOUT_PERCENT") != nil ? "ROLLOUT_PERCENT" : "the default")"
                  + " — kept in this process only: a restarted or second replica starts here, not where a gate left it")
        }
        if givenSecret == nil { print("JWT secret: random for this process; peers must share one: set JWT_SECRET") }
        // No credential in the log: an operator mints a short-lived one on purpose (`tollgate services token`).
        if o.providerStates { print("⚠ Provider states ON: POST /_pact/provider-states can change data (for tollgate verify).") }
        for breakage in o.breakages { print("⚠ Broken on purpose: \(breakage)") }
        if let kafka = started.kafkaBootstrap { print("kafka \(kafka)\(o.kafkaBrokers == nil ? " (embedded)" : "")") }
        if o.monolithDatabaseURL != nil { print("dual-writing into the monolith's database") }
        print("storage \(o.databaseURL == nil ? "in memory" : "PostgreSQL"). Ctrl-C stops.")
        await waitForShutdownSignal()
        let timeout = shutdownTimeout
        if !(await stopWithin(timeout + 1) { await started.stop(within: timeout) }) {
            print("Stopped waiting for in-flight requests after \(formatSeconds(timeout)).")
        }
    }

    /// An integer from the environment, refused (exit 2, naming the variable) outside `range`.
    private static func environmentInteger(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = env(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            FileHandle.standardError.write(Data("tollgate services run: error: \(name)='\(text)' must be an integer \(range.lowerBound)-\(range.upperBound)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        return value
    }
}
