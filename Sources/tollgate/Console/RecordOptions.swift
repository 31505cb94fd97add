import ArgumentParser
import Foundation
import PactBroker
import Verifier

/// What `record-deployment` and `record-release` take, and how they record.
struct RecordOptions: ParsableArguments {
    @Option(help: "The application.") var pacticipant: String
    @Option(help: "Its version.") var version: String
    @Option(help: "The environment's name in the broker.") var environment: String
    @Option(help: "Which instance, when several of the application run in the environment.") var applicationInstance: String?
    @Option(help: "The Pact Broker (default PACT_BROKER_BASE_URL).") var brokerURL: String?

    func validate() throws {
        let empty = [("--pacticipant", pacticipant), ("--version", version), ("--environment", environment)].filter { $0.1.isEmpty }.map(\.0)
        if !empty.isEmpty { throw ValidationError(empty.map { "\($0) must not be empty" }.joined(separator: "\n")) }
    }

    func run(_ kind: DeploymentKind) async throws {
        do {
            let client = try BrokerClient.fromEnvironment(url: brokerURL, http: .shared)
            try await client.record(kind, pacticipant: pacticipant, version: version, environment: environment, applicationInstance: applicationInstance)
            print("✓ recorded the \(kind.rawValue) of \(pacticipant) \(version) to \(environment)")
        } catch {
            FileHandle.standardError.write(Data("tollgate record-\(kind.rawValue): error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
    }
}
