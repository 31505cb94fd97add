import ArgumentParser
import Foundation
import Gate

/// `tollgate backfill`: copies the users and orders one side of the migration lacks to the
/// other — what the monolith has and the services do not, and dual writes that were lost.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Copy the users and orders the services or the monolith lack to the other side (POST /admin/backfill).",
        discussion: "Exit status: 0 the backfill ran (the counts are printed), 2 it could not (unreachable gateway, no admin token, no monolith).")

    @Option(help: "The gateway (env TARGET).") var target: String?
    @Option(help: "An admin token (env TOLLGATE_ADMIN_TOKEN); else it logs in as the admin.") var token: String?
    @Option(help: "The admin's email, for logging in.") var adminEmail = "admin@tollgate.local"
    @Option(help: "The admin's password, for logging in (env TOLLGATE_ADMIN_PASSWORD).") var adminPassword: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let url = target ?? environment["TARGET"] ?? "http://127.0.0.1:8000"
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            FileHandle.standardError.write(Data("Error: --target must be the gateway's http:// URL\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        let admin = GatewayRollout(url: url)
        do {
            try await admin.authenticate(token: token ?? environment["TOLLGATE_ADMIN_TOKEN"], email: adminEmail, password: adminPassword ?? environment["TOLLGATE_ADMIN_PASSWORD"])
            let counts = try await admin.backfill()
            print("Backfill through \(url):")
            print("  to the services: \(counts["users_to_services"] ?? 0) user(s), \(counts["orders_to_services"] ?? 0) order(s)")
            print("  to the monolith: \(counts["users_to_monolith"] ?? 0) user(s), \(counts["orders_to_monolith"] ?? 0) order(s)")
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
    }
}
