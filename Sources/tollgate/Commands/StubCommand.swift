import ArgumentParser
import ContractCore
import Foundation
import StubServer
import Verifier

/// `tollgate stub PACT...`: serves a provider that does not exist yet, from its contracts.
struct StubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stub",
        abstract: "Serve the HTTP interactions of Pact files as a stub provider.",
        discussion: "Unmatched requests get --unmatched-status with a JSON body naming the closest interaction and why each candidate failed. GET /__tollgate/interactions and /__tollgate/requests show what is served and what came. Exit status: 0 stopped by a signal, 2 the pacts or flags are unusable or the port is taken.")

    @OptionGroup var source: PactSourceOptions
    @Option(help: "Port to listen on; 0 picks a free one.") var port = 8080
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Flag(help: "Answer CORS preflights and allow any origin.") var cors = false
    @Option(help: "Only interactions with a provider state matching this regular expression.") var state: String?
    @Option(help: "A request header that picks interactions by provider state: its value is a provider state's exact name.") var stateHeader: String?
    @Option(help: "Status for requests no interaction matches.") var unmatchedStatus = 500
    @Flag(help: "Reload pact files when they change.") var watch = false
    @Flag(help: "Do not print a line per request.") var quiet = false

    func validate() throws {
        var problems = source.sources.isEmpty ? [PactSourceOptions.missing] : []
        if !(0...65535).contains(port) { problems.append("--port must be 0-65535") }
        if !(100...599).contains(unmatchedStatus) { problems.append("--unmatched-status must be an HTTP status") }
        if let state, (try? NSRegularExpression(pattern: state)) == nil { problems.append("--state '\(state)' is not a valid regular expression") }
        if let stateHeader, stateHeader.isEmpty || !stateHeader.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) {
            problems.append("--state-header '\(stateHeader)' is not a header name")
        }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        let loader = source.loader
        let sources = source.sources
        let load: @Sendable () async throws -> [(pact: Pact, source: String)] = {
            try await loader.load(sources).map { ($0.pact, $0.source) }
        }
        var configuration = StubConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.cors = cors
        configuration.stateFilter = state
        configuration.stateHeader = stateHeader
        configuration.unmatchedStatus = unmatchedStatus
        configuration.watch = watch
        if !quiet { configuration.log = { line in print("  \(line)") } }
        let stub: StubServer
        do {
            stub = try await StubServer.start(pacts: try await load(), configuration: configuration, reload: load)
        } catch {
            FileHandle.standardError.write(Data("tollgate stub: error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.error)
        }
        if stub.interactionCount == 0 {
            FileHandle.standardError.write(Data("tollgate stub: warning: the pacts hold no HTTP interaction; every request will be unmatched\n".utf8))
        }
        print("Serving \(stub.interactionCount) interaction(s) from \(sources.count) source(s) on \(stub.url)\(watch ? " (watching for changes)" : ""). Ctrl-C stops.")
        await waitForShutdownSignal()
        await stub.stop()
    }
}
