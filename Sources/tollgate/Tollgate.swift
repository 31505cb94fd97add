import ArgumentParser
import Foundation
import Transport

@main
struct Tollgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tollgate",
        abstract: "Contract and load testing gate for microservice rollouts.",
        subcommands: [DemoCommand.self, MatchCommand.self, VerifyCommand.self, StubCommand.self, ServicesCommand.self])

    static func main() async {
        // Progress lines reach pipes and CI logs as they happen, not when the buffer fills.
        StandardOutput.flushEachLine()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Exit codes shared by every command: 0 passed, 1 a check failed, 2 the run could not be done.
enum ExitStatus {
    static let passed: Int32 = 0
    static let failed: Int32 = 1
    static let error: Int32 = 2
}
