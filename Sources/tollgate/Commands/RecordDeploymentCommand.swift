import ArgumentParser
import PactBroker

/// `tollgate record-deployment`: a pacticipant version deployed to an environment, so the broker's
/// can-i-deploy and `deployedOrReleased` selectors know what runs there.
struct RecordDeploymentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record-deployment",
        abstract: "Record in a Pact Broker that a pacticipant version was deployed to an environment (replacing what ran there).",
        discussion: "Exit status: 0 recorded, 2 the broker could not record it (unknown version or environment, unreachable broker).")

    @OptionGroup var record: RecordOptions

    func run() async throws { try await record.run(.deployment) }
}
