import ArgumentParser
import ContractCore
import Foundation
import OpenAPICheck
import PactBroker
import Reports
import Transport
import Verifier

/// `tollgate verify PACT...`: replays the pacts' interactions against a provider, or with
/// `--openapi` checks them against the provider's OpenAPI document.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a provider against Pact files (HTTP interactions, and messages over Kafka or HTTP), or check them against its OpenAPI document.",
        discussion: """
            With --openapi nothing is replayed: every HTTP interaction of the provider is checked against the document             (operation, parameters, bodies, status, headers; matching rules widen what the consumer sends or accepts).
            Exit status: 0 every interaction verified (pending ones may fail), 1 a failure, 2 the run could not be done.
            """)

    @OptionGroup var source: PactSourceOptions
    @OptionGroup(title: "Pact Broker") var broker: BrokerOptions
    @Option(help: "The provider's OpenAPI 3.0/3.1 document (JSON or YAML, a file or an http(s) URL): check the pacts against it instead of replaying them.")
    var openapi: String?
    @Flag(help: "With --openapi: what the document leaves open for a consumer (a field it needs that the document does not describe or marks optional) fails instead of warning.")
    var strict = false
    @Option(help: "The provider's base URL.") var providerBaseURL: String?
    @Option(help: "Where provider states are set up: POST {state, params, action}.") var stateChangeURL: String?
    @Option(name: .customLong("state-change-header"), help: "K=V header sent with each state change (repeatable): a token the endpoint needs, never in its URL.")
    var stateChangeHeaders: [String] = []
    @Flag(help: "Also call the state-change URL with action teardown after each interaction.") var stateChangeTeardown = false
    @Option(help: "Only pacts with this provider.") var provider: String?
    @Option(help: "Only pacts from this consumer.") var consumer: String?
    @Option(help: "Only interactions whose description matches.") var filterDescription: String?
    @Option(help: "Only interactions with a provider state that matches.") var filterState: String?
    @Flag(help: "Only interactions without provider states.") var filterNoState = false
    @Option(name: .customLong("header"), help: "K=V header added to every request (repeatable).") var headers: [String] = []
    @Option(help: "Seconds a request may take.") var timeout: Double = 30
    @Option(help: "The largest response body read from the provider: bytes, or with K, M or G (default 10M).") var maxBody = "10M"
    @Option(help: "The Pact way for messages: POST {description, providerStates} here.") var messagesURL: String?
    @Option(help: "Tollgate's way for messages: consume the contract's topic on these brokers (HOST:PORT).") var kafkaBrokers: String?
    @Option(help: "Seconds to wait for a message on the broker.") var messageTimeout: Double = 10
    @Option(help: "Seconds to wait for the provider to come up.") var waitFor: Double = 0
    @Option(help: "Write the JSON report (schema tollgate.verification/v1) here.") var json: String?
    @Option(help: "Write a JUnit XML report here.") var junit: String?
    @Option(help: "Write a self-contained HTML report here.") var html: String?

    func validate() throws {
        var problems = broker.problems(provider: provider, pactsNamed: !source.sources.isEmpty) + VerifyOptions.headerProblems(headers, flag: "--header")
            + VerifyOptions.headerProblems(stateChangeHeaders, flag: "--state-change-header")
        for (flag, pattern) in [("--filter-description", filterDescription), ("--filter-state", filterState)] {
            if let pattern, (try? NSRegularExpression(pattern: pattern)) == nil { problems.append("\(flag) '\(pattern)' is not a valid regular expression") }
        }
        if filterNoState && filterState != nil { problems.append("--filter-no-state and --filter-state exclude each other") }
        if VerifyOptions.byteCount(maxBody) == nil { problems.append("--max-body '\(maxBody)' must be a size such as 512K, 10M or 1G (at most 4G)") }
        if !(timeout > 0 && timeout <= 3600) { problems.append("--timeout must be between 0 and 3600 seconds") }
        if !(messageTimeout > 0 && messageTimeout <= 3600) { problems.append("--message-timeout must be between 0 and 3600 seconds") }
        if !(waitFor >= 0 && waitFor <= 3600) { problems.append("--wait-for must be between 0 and 3600 seconds") }
        for (flag, url) in [("--provider-base-url", providerBaseURL), ("--state-change-url", stateChangeURL), ("--messages-url", messagesURL)] {
            guard let url else { continue }
            guard let components = URLComponents(string: url), ["http", "https"].contains(components.scheme?.lowercased() ?? ""),
                  let host = components.host, !host.isEmpty, components.user == nil, components.password == nil,
                  flag != "--provider-base-url" || components.query == nil, components.fragment == nil else {
                // The state-change and messages URLs may carry a query (the Pact CLI's way to pass a token).
                problems.append("\(flag) '\(Redaction.url(url))' must be an http(s) URL with a host and no credentials or fragment"
                                + (flag == "--provider-base-url" ? " or query" : ""))
                continue
            }
        }
        if strict, openapi == nil { problems.append("--strict is for --openapi: a replay fails on any mismatch already") }
        if openapi != nil, broker.isUsed(pactsNamed: !source.sources.isEmpty) { problems.append("--openapi checks pact files, not a broker's selection: give the pacts (pact broker get-pacts) or drop --openapi") }
        if openapi != nil {
            let replaying = [("--provider-base-url", providerBaseURL), ("--state-change-url", stateChangeURL), ("--messages-url", messagesURL),
                             ("--kafka-brokers", kafkaBrokers)].filter { $0.1 != nil }.map(\.0)
            if !replaying.isEmpty {
                problems.append("--openapi checks the pacts against the document and calls no provider: drop \(replaying.joined(separator: ", "))")
            }
            if let openapi, openapi.isEmpty || openapi.utf8.count > 4096 || Headers.breaksLine(openapi) {
                problems.append("--openapi must name a file or an http(s) URL")
            }
        }
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
    }

    func run() async throws {
        ShutdownSignals.install()
        if let openapi { try await checkAgainst(openapi) }
        var options = filters
        options.providerBaseURL = providerBaseURL
        options.stateChangeURL = stateChangeURL
        options.stateChangeTeardown = stateChangeTeardown
        options.headers = VerifyOptions.headerPairs(headers)
        options.stateChangeHeaders = VerifyOptions.headerPairs(stateChangeHeaders)
        options.timeout = timeout
        options.maxBody = VerifyOptions.byteCount(maxBody) ?? options.maxBody
        options.messagesURL = messagesURL
        options.kafkaBrokers = kafkaBrokers
        options.messageTimeout = messageTimeout
        options.waitFor = waitFor

        let loaded: [LoadedPact]
        var selection: BrokerSelection?
        do {
            if broker.isUsed(pactsNamed: !source.sources.isEmpty), let provider {
                let selected = try await broker.select(provider: provider)
                selection = selected
                loaded = selected.pacts.map { LoadedPact(pact: $0.pact, source: $0.url) }
            } else {
                loaded = try await source.loader.load(source.sources)
            }
        } catch {
            // The reports asked for are written also now: CI reads them to say why the gate failed.
            output.write(VerificationReport(), error: "\(error)")
            output.fail("\(error)")
        }
        let printer = TreePrinter()
        let finished = FinishedResults()
        let started = Date()
        let verifier = ProviderVerifier(options: options)
        if let warning = verifier.unsetStatesWarning(loaded) { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        // Ctrl-C or SIGTERM ends the run with what finished: the reports say "aborted" (exit 2).
        let ending: Result<VerificationReport, any Error>? = await firstOf({
            do {
                return .success(try await verifier.verify(loaded) { result in
                    printer.print(result)
                    finished.append(result)
                })
            } catch {
                return .failure(error)
            }
        }, {
            await waitForShutdownSignal()
            return nil
        })
        let report: VerificationReport
        switch ending {
        case .none:
            var partial = VerificationReport()
            partial.results = finished.all
            partial.startedAt = started
            partial.duration = Date().timeIntervalSince(started)
            let message = "aborted by a signal after \(partial.results.count) interaction(s)"
            output.write(partial, error: message)
            output.fail(message)
        case .failure(let error)?:
            output.write(VerificationReport(), error: "\(error)")
            output.fail("\(error)")
        case .success(let complete)?:
            report = complete
        }
        if report.results.isEmpty {
            // A gate that verified nothing must not pass: a typo in a filter would hide every failure.
            let message = "nothing to verify: no interaction of \(loaded.count) pact(s) matches --provider, --consumer and the filters"
            output.write(report, error: message)
            output.fail(message)
        }
        printer.summary(report)
        output.write(report, error: nil)
        do { try await broker.publishResults(report, for: selection, tollgateVersion: Tollgate.version) } catch { output.fail(error.description) }
        throw ExitCode(report.succeeded ? ExitStatus.passed : ExitStatus.failed)
    }

    /// `--openapi`: the pacts against the document, no provider called.
    private func checkAgainst(_ documentSource: String) async throws -> Never {
        let printer = TreePrinter()
        let document: OpenAPIDocument
        let report: VerificationReport
        do {
            let loaded = try await source.loader.load(source.sources)
            document = try await OpenAPIVerification.loadDocument(documentSource)
            report = try OpenAPIVerification.check(loaded, against: document, options: filters, stopped: { ShutdownSignals.shared.hasReceived }) { printer.print($0) }
        } catch let stopped as OpenAPIVerification.OpenAPICheckStopped {
            // What was checked before the document proved too costly (or a signal came) is kept.
            output.write(stopped.partial, error: stopped.description)
            output.fail(stopped.description)
        } catch {
            // The reports asked for are written also now, with why nothing was checked.
            output.write(VerificationReport(), error: "\(error)")
            output.fail("\(error)")
        }
        printer.summary(report, against: document.source)
        output.write(report, error: nil)
        throw ExitCode(report.succeeded ? ExitStatus.passed : ExitStatus.failed)
    }

    /// The selection options alone (which pacts and interactions).
    private var filters: VerifyOptions {
        var options = VerifyOptions()
        options.provider = provider
        options.consumer = consumer
        options.descriptionFilter = filterDescription
        options.stateFilter = filterState
        options.noStateOnly = filterNoState
        options.strict = strict
        return options
    }

    private var output: VerifyOutput { VerifyOutput(json: json, junit: junit, html: html) }
}
