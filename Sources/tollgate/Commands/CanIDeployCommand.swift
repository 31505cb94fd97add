import ArgumentParser
import Foundation
import PactBroker
import Steps
import Verifier

/// `tollgate can-i-deploy`: whether a set of pacticipant versions shipped together may go to an
/// environment, from the Pact Broker's matrix — answered for the set, not each alone.
struct CanIDeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "can-i-deploy",
        abstract: "Ask a Pact Broker whether pacticipant versions deployed together may go to an environment.",
        discussion: """
            Give --pacticipant and --version once per application moving (as the Pact CLI does; --version is the pacticipant's). \
            Each is checked against what the environment runs, and the ones moving together against each other: \
            two services that each look deployable alone are not when their new versions never verified each other.
            Exit status: 0 deployable, 1 not (a failed or missing verification), 2 could not ask.
            """)

    @Option(help: "An application moving (repeatable, each with its --version).") var pacticipant: [String] = []
    @Option(help: "The version of the --pacticipant before it (repeatable).") var version: [String] = []
    @Option(help: "The environment the versions go to.") var toEnvironment: String
    @Option(help: "While some answer is unknown (a verification not published yet), ask again up to this many times.") var retryWhileUnknown = 0
    @Option(help: "The wait between those tries (e.g. 10s).") var retryInterval = "10s"
    @Option(help: "The Pact Broker (default PACT_BROKER_BASE_URL).") var brokerURL: String?

    func validate() throws {
        var problems: [String] = []
        if pacticipant.isEmpty { problems.append("give at least one --pacticipant with its --version") }
        if pacticipant.count != version.count { problems.append("give one --version after each --pacticipant (\(pacticipant.count) pacticipants, \(version.count) versions)") }
        if Set(pacticipant).count != pacticipant.count { problems.append("a --pacticipant is named twice") }
        if toEnvironment.isEmpty { problems.append("--to-environment must not be empty") }
        if !(0...1000).contains(retryWhileUnknown) { problems.append("--retry-while-unknown must be between 0 and 1000") }
        if let seconds = DurationText.seconds(retryInterval), seconds >= 0, seconds <= 3600 {} else { problems.append("--retry-interval '\(retryInterval)' is not a duration up to 1h") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        let set = Array(zip(pacticipant, version)).map { (pacticipant: $0.0, version: $0.1) }
        var answer: DeploymentAnswer
        do {
            let client = try BrokerClient.fromEnvironment(url: brokerURL, http: .shared)
            answer = try await client.canIDeploy(set, to: toEnvironment)
            var tries = 0
            while answer.failed == 0, answer.unknown > 0, tries < retryWhileUnknown {
                tries += 1
                print("Waiting for \(answer.unknown) unknown verification(s) (try \(tries) of \(retryWhileUnknown))…")
                try await Task.sleep(for: .seconds(DurationText.seconds(retryInterval) ?? 10))
                answer = try await client.canIDeploy(set, to: toEnvironment)
            }
        } catch {
            FileHandle.standardError.write(Data("tollgate can-i-deploy: error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        print(Self.table(answer))
        let moving = set.map { "\($0.pacticipant) \($0.version)" }.joined(separator: " + ")
        if answer.deployable {
            print("✓ \(moving) may be deployed to \(toEnvironment) together")
        } else {
            print("✗ \(moving) may not be deployed to \(toEnvironment): \(answer.failed) failed, \(answer.unknown) unknown")
            throw ExitCode(ExitStatus.failed)
        }
    }

    /// The rows as the broker's table shows them: consumer, provider, verified or not, why.
    static func table(_ answer: DeploymentAnswer) -> String {
        let header = ["CONSUMER", "C.VERSION", "PROVIDER", "P.VERSION", "VERIFIED", "WHY"]
        let rows = answer.rows.map { row in
            [row.consumer, row.consumerVersion, row.provider, row.providerVersion ?? "-",
             row.status == .verified ? "✓ yes" : row.status == .failed ? "✗ failed" : "? unknown", row.reason]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        var lines = [line(header)] + rows.map(line)
        if answer.rows.isEmpty { lines.append("(no integrations: nothing in the environment depends on these versions, or they on it)") }
        lines += answer.problems.map { "? \($0)" }
        return lines.joined(separator: "\n")
    }
}
