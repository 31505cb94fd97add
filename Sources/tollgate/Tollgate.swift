import ArgumentParser
import Foundation
import Transport

@main
struct Tollgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tollgate",
        abstract: "Contract and load testing gate for microservice rollouts.",
        version: Tollgate.version,
        subcommands: [DemoCommand.self, MatchCommand.self, VerifyCommand.self, StubCommand.self, FlowCommand.self, LoadCommand.self, ConsistencyCommand.self, GateCommand.self, BackfillCommand.self, ReportCommand.self, JudgeCommand.self, ParityCommand.self, RolloutCommand.self, BenchClientCommand.self,
                      ServicesCommand.self, PublishCommand.self, CanIDeployCommand.self, RecordDeploymentCommand.self, RecordReleaseCommand.self])

    /// Written into reports.
    static let version = "0.5.0"

    static func main() async {
        // Progress lines reach pipes and CI logs as they happen, not when the buffer fills.
        StandardOutput.flushEachLine()
        // A report written to a pipe whose reader left is an error to report (EPIPE), not a death by signal.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: Self.contractError(error))
        }
    }

    /// Errors under the 0/1/2 contract: help and explicit exit codes stay as they are; any
    /// other error (a bad flag, a failed validation) exits 2 with its message and the usage.
    static func contractError(_ error: any Error) -> any Error {
        if error is ExitCode { return error }
        let code = exitCode(for: error)
        guard code != .success else { return error }
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        return ExitCode(ExitStatus.error)
    }
}

/// Exit codes shared by every command: 0 passed, 1 a check failed, 2 the run could not be done.
enum ExitStatus {
    static let passed: Int32 = 0
    static let failed: Int32 = 1
    static let error: Int32 = 2
}
