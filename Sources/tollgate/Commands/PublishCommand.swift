import ArgumentParser
import ContractCore
import Foundation
import PactBroker
import Verifier

/// `tollgate publish PACT...`: a consumer version's pacts to a Pact Broker (`pb:publish-contracts`).
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish pacts to a Pact Broker for a consumer version (its branch, tags and build).",
        discussion: """
            The broker comes from --broker-url or PACT_BROKER_BASE_URL; credentials from PACT_BROKER_TOKEN, or \
            PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD (never printed). Every pact is read and checked before anything is sent.
            Exit status: 0 published, 2 a pact could not be read or the broker could not take it.
            """)

    @Argument(help: "Pact files or directories of them.") var pacts: [String] = []
    @Option(help: "The consumer version (a git SHA is best).") var consumerAppVersion: String
    @Option(help: "The consumer's git branch.") var branch: String?
    @Option(name: .customLong("tag"), help: "A tag for the version (repeatable; branches are preferred).") var tags: [String] = []
    @Option(help: "The CI build that made the pacts.") var buildURL: String?
    @Option(help: "The Pact Broker (default PACT_BROKER_BASE_URL).") var brokerURL: String?

    func validate() throws {
        var problems: [String] = []
        if pacts.isEmpty { problems.append("give at least one pact file or directory") }
        if consumerAppVersion.isEmpty { problems.append("--consumer-app-version must not be empty") }
        for (flag, value) in [("--branch", branch)] + tags.map({ ("--tag", Optional($0)) }) where value?.isEmpty ?? false {
            problems.append("\(flag) must not be empty")
        }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        do {
            let loaded = try await PactLoader().load(pacts)
            let consumers = Set(loaded.map(\.pact.consumer))
            guard consumers.count == 1, let consumer = consumers.first else {
                throw BrokerError("the pacts are from \(consumers.sorted().joined(separator: ", ")): publish one consumer's pacts at a time")
            }
            var publication = ContractPublication(consumer: consumer, version: consumerAppVersion,
                                                  pacts: try loaded.map { ($0.pact.provider, try Self.bytes(of: $0.source)) })
            publication.branch = branch
            publication.tags = tags
            publication.buildURL = buildURL
            let client = try BrokerClient.fromEnvironment(url: brokerURL, http: .shared)
            let notices = try await client.publish(publication)
            for notice in notices { print(notice) }
            print("✓ \(loaded.count) pact(s) of \(consumer) \(consumerAppVersion) published to \(client.baseURL)")
        } catch {
            FileHandle.standardError.write(Data("tollgate publish: error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
    }

    /// The pact file's own text (what was read and checked), sent as it is.
    static func bytes(of file: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: file))) }
}
