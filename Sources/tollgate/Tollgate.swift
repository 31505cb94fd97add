import ArgumentParser

@main
struct Tollgate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tollgate",
        abstract: "Contract and load testing gate for microservice rollouts.",
        subcommands: [MatchCommand.self])
}

/// Exit codes shared by every command: 0 passed, 1 a check failed, 2 the run could not be done.
enum ExitStatus {
    static let passed: Int32 = 0
    static let failed: Int32 = 1
    static let error: Int32 = 2
}
