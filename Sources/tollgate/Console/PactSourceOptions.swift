import ArgumentParser
import Verifier

/// Where pacts come from, shared by `verify` and `stub`: files, directories, URLs (each command
/// says whether it needs one: `verify` may read a Pact Broker instead).
struct PactSourceOptions: ParsableArguments {
    @Argument(help: "Pact files or directories of them.") var pacts: [String] = []
    @Option(name: .customLong("url"), help: "A pact to fetch over HTTP (repeatable).") var urls: [String] = []
    @Option(help: "Bearer token for --url.") var token: String?
    @Option(help: "user:password (basic auth) for --url.") var user: String?

    var sources: [String] { pacts + urls }
    var loader: PactLoader { PactLoader(token: token, basicAuth: user) }

    static let missing = "give at least one pact file, directory or --url"

    func validate() throws {
        var problems: [String] = []
        if token != nil && user != nil { problems.append("use --token or --user, not both") }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }
}
