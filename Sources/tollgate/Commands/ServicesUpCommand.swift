import ArgumentParser
import Foundation
import ReferenceServices
import ServerRuntime

/// `tollgate services up`: every reference service in this process.
struct ServicesUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start every reference service in this process, with the embedded Kafka broker and in-memory stores by default.",
        discussion: "Exit status: 0 stopped by SIGINT/SIGTERM, 130 stopped by a second signal, 2 the services could not start or a flag is wrong.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "API gateway port.") var gatewayPort = 8000
    @Option(help: "Legacy monolith port.") var monolithPort = 3000
    @Option(help: "User service port.") var userPort = 3001
    @Option(help: "Catalog service port.") var catalogPort = 3002
    @Option(help: "Order service port.") var orderPort = 3003
    @Option(help: "Payment service port.") var paymentPort = 3004
    @Option(help: "Payment provider port.") var providerPort = 3005
    @Option(help: "Fixed bootstrap port for the embedded Kafka broker (default: the broker picks one).") var kafkaPort: Int?
    @Option(help: "Use these Kafka brokers instead of the embedded one (env KAFKA_BROKERS).") var kafkaBrokers: String?
    @Option(help: "PostgreSQL server URL; each service gets its own database there (env DATABASE_URL). Default: in memory.") var databaseURL: String?
    @Option(help: "HS256 secret for JWTs (env JWT_SECRET).") var jwtSecret: String?
    @Option(help: "The seeded admin's password (env TOLLGATE_ADMIN_PASSWORD; random per run when not given).") var adminPassword: String?
    @Option(help: "How many products to seed the catalog with.") var seedProducts = 300
    @Option(help: "Another legacy upstream for the gateway instead of the reference monolith (which then does not start).") var legacyURL: String?
    @Option(help: "Share of users (0-100) the gateway sends to the new services.") var rolloutPercent = 100
    @Option(help: "Gateway: proxies whose X-Forwarded-For it believes for sticky routing, comma-separated addresses or IPv4 ranges (env TRUSTED_PROXIES; default none). 127.0.0.1 lets a load generator on this machine stand for many clients.") var trustedProxies: String?
    @Option(help: "Gateway: mirror this share (0-100) of GETs to both sides in the background and count their parity (gateway_parity_total{route,result}).") var mirrorPercent = 0.0
    @Option(name: .customLong("mirror-ignore"), help: "Gateway: a JSON path the mirror never compares, e.g. '$.updated_at' (repeatable).") var mirrorIgnored: [String] = []
    @Option(help: "Latency the payment provider adds, in milliseconds.") var providerLatencyMs = 0
    @Option(help: "Share (0-1) of payment provider requests that fail with 500.") var providerFailureRate = 0.0
    @Option(help: "Use this payment provider (e.g. a tollgate stub) instead of the reference one.") var paymentProviderURL: String?
    @Flag(help: "Serve POST /_pact/provider-states on each service, for tollgate verify (never on by default).") var providerStates = false
    @Option(name: .customLong("break"), help: ArgumentHelp("Break a service on purpose (repeatable): \(Breakage.forms).")) var breaks: [String] = []
    @Option(help: "Seconds in-flight requests get to finish after SIGINT/SIGTERM before they are cancelled.") var shutdownTimeout = 5.0
    @Flag(help: "Also start Debian's prometheus on 127.0.0.1, scraping every service every 5 s (for PromQL gate triggers).") var prometheus = false
    @Option(help: "The port of the Prometheus --prometheus starts.") var prometheusPort = 9090

    func validate() throws {
        var problems: [String] = []
        for (name, port) in [("gateway", gatewayPort), ("user", userPort), ("catalog", catalogPort), ("order", orderPort), ("payment", paymentPort), ("provider", providerPort)]
        where !(0...65535).contains(port) { problems.append("--\(name)-port must be 0-65535") }
        if !(0...100).contains(rolloutPercent) { problems.append("--rollout-percent must be 0-100") }
        if !(0...100).contains(mirrorPercent) { problems.append("--mirror-percent must be 0-100") }
        for path in mirrorIgnored where !path.hasPrefix("$") { problems.append("--mirror-ignore '\(path.prefix(80))' is not a JSON path (it starts with $)") }
        if !(0...1).contains(providerFailureRate) { problems.append("--provider-failure-rate must be between 0 and 1") }
        if providerLatencyMs < 0 { problems.append("--provider-latency-ms must not be negative") }
        if seedProducts < 0 { problems.append("--seed-products must not be negative") }
        if kafkaPort != nil && (kafkaBrokers ?? env("KAFKA_BROKERS")) != nil { problems.append("--kafka-port applies to the embedded broker only, not with --kafka-brokers") }
        for spec in breaks where Breakage(spec: spec) == nil { problems.append("--break '\(spec)' is not one of \(Breakage.forms)") }
        if !(0...300).contains(shutdownTimeout) { problems.append("--shutdown-timeout must be between 0 and 300 seconds") }
        if !(1...65535).contains(prometheusPort) { problems.append("--prometheus-port must be 1-65535") }
        if TrustedProxies(parsing: trustedProxies ?? env("TRUSTED_PROXIES") ?? "") == nil {
            problems.append("--trusted-proxies (or TRUSTED_PROXIES) must list addresses or IPv4 ranges (10.0.0.0/8)")
        }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        var c = StackConfiguration()
        c.providerStates = providerStates
        c.breakages = breaks.compactMap(Breakage.init(spec:))
        c.trustedProxies = TrustedProxies(parsing: trustedProxies ?? env("TRUSTED_PROXIES") ?? "") ?? TrustedProxies()
        c.mirrorPercent = mirrorPercent
        c.mirrorIgnored = Set(mirrorIgnored)
        c.host = host
        c.gatewayPort = gatewayPort; c.monolithPort = monolithPort; c.userPort = userPort; c.catalogPort = catalogPort
        c.orderPort = orderPort; c.paymentPort = paymentPort; c.providerPort = providerPort
        c.kafkaPort = kafkaPort
        c.kafkaBrokers = kafkaBrokers ?? env("KAFKA_BROKERS")
        c.databaseURL = databaseURL ?? env("DATABASE_URL")
        let givenSecret = jwtSecret ?? env("JWT_SECRET")
        c.jwtSecret = givenSecret ?? c.jwtSecret
        warnAboutSecret(givenSecret)
        let givenPassword = adminPassword ?? env("TOLLGATE_ADMIN_PASSWORD")
        if let givenPassword {
            guard givenPassword.count >= 12 else {
                FileHandle.standardError.write(Data("tollgate services up: error: --admin-password must have at least 12 characters\n".utf8))
                throw ExitCode(ExitStatus.error)
            }
            c.adminPassword = givenPassword
        }
        c.seedProducts = seedProducts
        c.legacyURL = legacyURL
        c.rolloutPercent = rolloutPercent
        c.providerFaults = ProviderFaults(latencyMs: providerLatencyMs, failureRate: providerFailureRate)
        c.providerURL = paymentProviderURL
        let prometheusBinary = LocalPrometheus.binary()
        if prometheus, prometheusBinary == nil {
            FileHandle.standardError.write(Data("tollgate services up: error: --prometheus needs the prometheus binary on the PATH: apt-get install --no-install-recommends prometheus (Debian), or leave --prometheus out\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        print("Starting the reference services…")
        let stack: ServiceStack
        do { stack = try await ServiceStack.start(c) } catch {
            FileHandle.standardError.write(Data("tollgate services up: error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        var scraper: LocalPrometheus?
        if prometheus, let prometheusBinary {
            var targets = stack.services.map { (job: $0.name, address: $0.url.replacingOccurrences(of: "http://", with: "")) }
            if let monolith = stack.monolith { targets.append((job: "monolith", address: monolith.url.replacingOccurrences(of: "http://", with: ""))) }
            do { scraper = try await LocalPrometheus.start(binary: prometheusBinary, port: prometheusPort, targets: targets) } catch {
                FileHandle.standardError.write(Data("tollgate services up: error: \(error)\n".utf8))
                await stack.stop(within: 1)
                throw ExitCode(ExitStatus.error)
            }
        }
        for service in stack.services { print("  \(service.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(service.url)") }
        if let monolith = stack.monolith {
            print("  \("monolith".padding(toLength: 18, withPad: " ", startingAt: 0)) \(monolith.url) (legacy; the services dual-write into it)")
        }
        print("  \("kafka".padding(toLength: 18, withPad: " ", startingAt: 0)) \(stack.kafkaBootstrap)\(c.kafkaBrokers == nil ? " (embedded)" : "")")
        if let scraper { print("  \("prometheus".padding(toLength: 18, withPad: " ", startingAt: 0)) \(scraper.url) (scraping every service every 5 s)") }
        print("  \("storage".padding(toLength: 18, withPad: " ", startingAt: 0)) \(c.databaseURL == nil ? "in memory" : "PostgreSQL, one database per service (the monolith: database monolith)")")
        print("JWT secret: \(givenSecret == nil ? "random for this run (set JWT_SECRET to choose one)" : "as given")")
        print("Admin: \(c.adminEmail) / \(c.adminPassword)\(givenPassword == nil ? "   (random for this run; set TOLLGATE_ADMIN_PASSWORD to choose one)" : "")")
        print("Admin token: \(stack.adminToken)")
        print("Service token: \(stack.serviceToken)")
        if c.providerStates {
            print("⚠ Provider states ON: POST /_pact/provider-states on each service (never through the gateway) can change data and mint")
            print("  any user's token, the admin's too — for tollgate verify only; keep the service ports private.")
        }
        for breakage in c.breakages { print("⚠ Broken on purpose: \(breakage)") }
        print("Catalog seeded with \(c.seedProducts) products. Rollout: \(c.rolloutPercent)% of users to the new services, the rest to \(c.legacyURL ?? "the monolith"). Ctrl-C stops.")
        print("Try: tollgate flow flows/*.yaml --target \(stack.gatewayURL) --kafka-brokers \(stack.kafkaBootstrap)")
        print("     tollgate load loadprofiles/smoke.yaml --target \(stack.gatewayURL)")
        print("     tollgate gate loadprofiles/gate.yaml --stage 25 --duration 20s --kafka-brokers \(stack.kafkaBootstrap)"
              + (c.providerStates ? "" : "   (its contracts need --provider-states here)"))
        if let scraper { print("     PROMETHEUS_URL=\(scraper.url) tollgate gate loadprofiles/gate-prometheus.yaml --stage 25 --duration 20s") }
        await waitForShutdownSignal()
        print("Stopping (at most \(formatSeconds(shutdownTimeout)); a second Ctrl-C exits at once)…")
        await scraper?.stop()
        let timeout = shutdownTimeout
        if !(await stopWithin(timeout + 1) { await stack.stop(within: timeout) }) {
            print("Stopped waiting for in-flight requests after \(formatSeconds(timeout)).")
        }
    }
}
