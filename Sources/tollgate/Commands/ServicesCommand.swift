import ArgumentParser
import Foundation
import ReferenceServices

/// `tollgate services up|run NAME`: the reference services under test.
struct ServicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "services",
        abstract: "Run the reference services (user, catalog, order, payment, payment provider, API gateway).",
        subcommands: [ServicesUpCommand.self, ServicesRunCommand.self])
}

func env(_ name: String) -> String? {
    ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
}

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
    @Option(help: "Latency the payment provider adds, in milliseconds.") var providerLatencyMs = 0
    @Option(help: "Share (0-1) of payment provider requests that fail with 500.") var providerFailureRate = 0.0
    @Option(help: "Use this payment provider (e.g. a tollgate stub) instead of the reference one.") var paymentProviderURL: String?
    @Flag(help: "Serve POST /_pact/provider-states on each service, for tollgate verify (never on by default).") var providerStates = false
    @Option(name: .customLong("break"), help: ArgumentHelp("Break a service on purpose (repeatable): \(Breakage.forms).")) var breaks: [String] = []
    @Option(help: "Seconds in-flight requests get to finish after SIGINT/SIGTERM before they are cancelled.") var shutdownTimeout = 5.0

    func validate() throws {
        var problems: [String] = []
        for (name, port) in [("gateway", gatewayPort), ("user", userPort), ("catalog", catalogPort), ("order", orderPort), ("payment", paymentPort), ("provider", providerPort)]
        where !(0...65535).contains(port) { problems.append("--\(name)-port must be 0-65535") }
        if !(0...100).contains(rolloutPercent) { problems.append("--rollout-percent must be 0-100") }
        if !(0...1).contains(providerFailureRate) { problems.append("--provider-failure-rate must be between 0 and 1") }
        if providerLatencyMs < 0 { problems.append("--provider-latency-ms must not be negative") }
        if seedProducts < 0 { problems.append("--seed-products must not be negative") }
        if kafkaPort != nil && (kafkaBrokers ?? env("KAFKA_BROKERS")) != nil { problems.append("--kafka-port applies to the embedded broker only, not with --kafka-brokers") }
        for spec in breaks where Breakage(spec: spec) == nil { problems.append("--break '\(spec)' is not one of \(Breakage.forms)") }
        if !(0...300).contains(shutdownTimeout) { problems.append("--shutdown-timeout must be between 0 and 300 seconds") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        var c = StackConfiguration()
        c.providerStates = providerStates
        c.breakages = breaks.compactMap(Breakage.init(spec:))
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
        print("Starting the reference services…")
        let stack: ServiceStack
        do { stack = try await ServiceStack.start(c) } catch {
            FileHandle.standardError.write(Data("tollgate services up: error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        for service in stack.services { print("  \(service.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(service.url)") }
        if let monolith = stack.monolith {
            print("  \("monolith".padding(toLength: 18, withPad: " ", startingAt: 0)) \(monolith.url) (legacy; the services dual-write into it)")
        }
        print("  \("kafka".padding(toLength: 18, withPad: " ", startingAt: 0)) \(stack.kafkaBootstrap)\(c.kafkaBrokers == nil ? " (embedded)" : "")")
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
        await waitForShutdownSignal()
        print("Stopping (at most \(formatSeconds(shutdownTimeout)); a second Ctrl-C exits at once)…")
        let timeout = shutdownTimeout
        if !(await stopWithin(timeout + 1) { await stack.stop(within: timeout) }) {
            print("Stopped waiting for in-flight requests after \(formatSeconds(timeout)).")
        }
    }
}

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
    @Option(help: "Gateway: share of users (0-100) for the new services (env ROLLOUT_PERCENT).") var rolloutPercent: Int?
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
        if !(0...300).contains(shutdownTimeout) { throw ValidationError("--shutdown-timeout must be between 0 and 300 seconds") }
    }

    func run() async throws {
        let givenSecret = jwtSecret ?? env("JWT_SECRET")
        var o = givenSecret.map { SingleServiceOptions(name: name, jwtSecret: $0) } ?? SingleServiceOptions(name: name)
        warnAboutSecret(givenSecret)
        o.host = host
        o.port = port ?? env("PORT").flatMap(Int.init)
        o.databaseURL = databaseURL ?? env("DATABASE_URL")
        o.kafkaBrokers = kafkaBrokers ?? env("KAFKA_BROKERS")
        o.userServiceURL = userServiceURL ?? env("USER_SERVICE_URL") ?? o.userServiceURL
        o.catalogServiceURL = catalogServiceURL ?? env("CATALOG_SERVICE_URL") ?? o.catalogServiceURL
        o.orderServiceURL = orderServiceURL ?? env("ORDER_SERVICE_URL") ?? o.orderServiceURL
        o.paymentServiceURL = paymentServiceURL ?? env("PAYMENT_SERVICE_URL") ?? o.paymentServiceURL
        o.paymentProviderURL = paymentProviderURL ?? env("PAYMENT_PROVIDER_URL") ?? o.paymentProviderURL
        o.legacyURL = legacyURL ?? env("LEGACY_URL")
        o.rolloutPercent = rolloutPercent ?? env("ROLLOUT_PERCENT").flatMap(Int.init) ?? 100
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
        if givenSecret == nil { print("JWT secret: random for this process; peers must share one: set JWT_SECRET") }
        print("Admin token: \(JWTSigner(secret: o.jwtSecret).adminToken(subject: "operator", email: "admin@tollgate.local"))")
        if o.providerStates { print("⚠ Provider states ON: POST /_pact/provider-states can change data (for tollgate verify).") }
        for breakage in o.breakages { print("⚠ Broken on purpose: \(breakage)") }
        if let kafka = started.kafkaBootstrap { print("kafka \(kafka)\(o.kafkaBrokers == nil ? " (embedded)" : "")") }
        print("storage \(o.databaseURL == nil ? "in memory" : "PostgreSQL"). Ctrl-C stops.")
        await waitForShutdownSignal()
        let timeout = shutdownTimeout
        if !(await stopWithin(timeout + 1) { await started.stop(within: timeout) }) {
            print("Stopped waiting for in-flight requests after \(formatSeconds(timeout)).")
        }
    }
}

/// A secret anyone can read in the README is no secret: say so.
func warnAboutSecret(_ secret: String?) {
    guard let secret else { return }
    if secret == JWTSigner.documentedExample {
        FileHandle.standardError.write(Data("warning: JWT_SECRET is the documented example; anyone can sign tokens for these services\n".utf8))
    } else if secret.utf8.count < 16 {
        FileHandle.standardError.write(Data("warning: JWT_SECRET is shorter than 16 bytes; tokens are easy to forge\n".utf8))
    }
}

/// `5 s`, `0.5 s`.
func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
}
