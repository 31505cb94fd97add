import ArgumentParser
import PactBroker

/// `tollgate record-release`: a version released to an environment, alongside the versions already there.
struct RecordReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record-release",
        abstract: "Record in a Pact Broker that a pacticipant version was released to an environment (alongside the others there).",
        discussion: "Exit status: 0 recorded, 2 the broker could not record it.")

    @OptionGroup var record: RecordOptions

    func run() async throws { try await record.run(.release) }
}
