package import ContractCore
import Foundation
import Transport
package import TransportHTTP

/// Replays each interaction of the pacts against the provider and matches what comes back.
package struct ProviderVerifier: Sendable {
    let options: VerifyOptions
    let client: HTTPClientPool

    package init(options: VerifyOptions, client: HTTPClientPool = HTTPClientPool()) {
        self.options = options
        self.client = client
    }

    /// The interactions the filters select, with their pact.
    package func selected(_ pacts: [LoadedPact]) throws -> [(LoadedPact, Interaction)] {
        try Self.selection(pacts, options).map { ($0.pact, $0.interaction) }
    }

    /// What to say when selected interactions name provider states and there is no state-change
    /// URL to set them: they are replayed against the provider as it is.
    package func unsetStatesWarning(_ pacts: [LoadedPact]) -> String? {
        guard options.stateChangeURL == nil, let selected = try? Self.selection(pacts, options) else { return nil }
        let stated = selected.filter { !$0.interaction.providerStates.isEmpty }
        guard let first = stated.first?.interaction.providerStates.first else { return nil }
        return "\(stated.count) interaction(s) name provider states (e.g. '\(first.name)') and no --state-change-url was given: "
            + "their states are not set, so the provider must already be in them"
    }

    /// The interactions `options`' filters select, with their pact and their index in it.
    static func selection(_ pacts: [LoadedPact], _ options: VerifyOptions) throws -> [(pact: LoadedPact, index: Int, interaction: Interaction)] {
        let description = try options.descriptionFilter.map { try NSRegularExpression(pattern: $0) }
        let state = try options.stateFilter.map { try NSRegularExpression(pattern: $0) }
        func matches(_ regex: NSRegularExpression?, _ text: String) -> Bool {
            guard let regex else { return true }
            return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
        var selected: [(pact: LoadedPact, index: Int, interaction: Interaction)] = []
        for loaded in pacts {
            if let provider = options.provider, loaded.pact.provider != provider { continue }
            if let consumer = options.consumer, loaded.pact.consumer != consumer { continue }
            for (index, interaction) in loaded.pact.interactions.enumerated() {
                guard matches(description, interaction.description) else { continue }
                if options.noStateOnly && !interaction.providerStates.isEmpty { continue }
                if state != nil && !interaction.providerStates.contains(where: { matches(state, $0.name) }) { continue }
                selected.append((loaded, index, interaction))
            }
        }
        return selected
    }

    /// Verifies every selected interaction, calling `progress` after each.
    /// Throws `VerifyError` only when the run cannot be done (provider unreachable, bad options).
    package func verify(_ pacts: [LoadedPact], progress: @Sendable (InteractionResult) -> Void = { _ in }) async throws -> VerificationReport {
        var report = VerificationReport()
        let start = Date()
        let work = try selected(pacts)
        let needsHTTP = work.contains { if case .http = $0.1.kind { return true } else { return false } }
        if needsHTTP {
            guard let base = options.providerBaseURL else { throw VerifyError("the pacts have HTTP interactions: pass --provider-base-url") }
            try await waitForProvider(base)
        }
        let needsMessagesURL = work.contains { if case .http = $0.1.kind { return false } else { return true } }
        if needsMessagesURL, options.kafkaBrokers == nil, let messages = options.messagesURL {
            try await waitForProvider(messages)
        }
        for (loaded, interaction) in work {
            // A caller that stopped waiting (Ctrl-C in a gate) ends the run between interactions.
            try Task.checkCancellation()
            let began = Date()
            let (outcome, target) = await verify(interaction)
            let result = InteractionResult(
                consumer: loaded.pact.consumer, provider: loaded.pact.provider, source: loaded.source, description: interaction.description,
                providerStates: interaction.providerStates.map(\.name), kind: Self.kindName(interaction.kind), pending: interaction.pending,
                outcome: outcome, duration: Date().timeIntervalSince(began), target: target)
            report.results.append(result)
            progress(result)
        }
        report.startedAt = start
        report.duration = Date().timeIntervalSince(start)
        return report
    }

    static func kindName(_ kind: Interaction.Kind) -> String {
        switch kind {
        case .http: return "http"
        case .asynchronousMessage: return "message"
        case .synchronousMessage: return "synchronous-message"
        }
    }

    /// Any HTTP answer means the provider is up; keeps trying for `waitFor` seconds. Each try
    /// may take as long as a request may (`timeout`): a provider that is up but slow is up.
    func waitForProvider(_ base: String) async throws {
        let deadline = Date().addingTimeInterval(options.waitFor)
        while true {
            do {
                _ = try await client.send(HTTPClientRequest(url: base, headers: [], timeout: options.timeout))
                return
            } catch let error as HTTPClientError {
                if Date() >= deadline {
                    let waited = options.waitFor > 0 ? " after waiting \(Int(options.waitFor)) s" : ""
                    throw VerifyError("the provider at \(base) is not reachable\(waited): \(error.message)")
                }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    func verify(_ interaction: Interaction) async -> (InteractionOutcome, String) {
        // Events the provider states cause are newer than this (two seconds of clock slack).
        let since = Date().addingTimeInterval(-2)
        var context = GeneratorContext()
        var target = ""
        var setUp: [ProviderState] = []
        var result = await attempt(interaction, context: &context, target: &target, setUp: &setUp, since: since)
        // Teardown also after a failure or an error: the provider must not keep the state.
        if options.stateChangeTeardown {
            for state in setUp.reversed() {
                do { _ = try await changeState(state, action: "teardown") } catch {
                    if case .passed = result.0 { result.0 = .error("\(error)") }
                }
            }
        }
        return result
    }

    /// Sets the states up (recording each in `setUp`) and verifies the interaction.
    private func attempt(_ interaction: Interaction, context: inout GeneratorContext, target: inout String, setUp: inout [ProviderState],
                         since: Date) async -> (InteractionOutcome, String) {
        do {
            for state in interaction.providerStates {
                for (key, value) in state.params { context.providerState[key] = value }
                let answer = try await changeState(state, action: "setup")
                setUp.append(state)
                for (key, value) in answer { context.providerState[key] = value }
            }
            let outcome: InteractionOutcome
            switch interaction.kind {
            case .http(let request, let response):
                let generated = try request.generated(context)
                target = "\(generated.method.uppercased()) \(generated.path)"
                outcome = try await verifyHTTP(generated, response)
            case .asynchronousMessage(let message):
                target = message.metadata["topic"].map { "topic \($0.matchText)" } ?? "message"
                outcome = try await verifyMessage(interaction, message, context: context, since: since)
            case .synchronousMessage(let request, let responses):
                target = "synchronous message"
                outcome = try await verifySynchronous(interaction, request, responses)
            }
            return (outcome, target)
        } catch let error as VerifyError {
            return (.error(error.message), target)
        } catch {
            return (.error("\(error)"), target)
        }
    }

    /// POSTs `{"state", "params", "action"}`; the JSON object it answers feeds ProviderState generators.
    func changeState(_ state: ProviderState, action: String) async throws -> JSONObject {
        guard let url = options.stateChangeURL else { return JSONObject() }
        let body = JSONWriter.compact(.object(JSONObject([("state", .string(state.name)), ("params", .object(state.params)), ("action", .string(action))])))
        let response: HTTPClientResponse
        do {
            response = try await client.send(HTTPClientRequest(method: "POST", url: url, headers: [("Content-Type", "application/json")] + options.stateChangeHeaders,
                                                               body: Array(body.utf8), timeout: options.timeout))
        } catch let error as HTTPClientError {
            throw VerifyError("provider state '\(state.name)' (\(action)) failed: the state-change URL \(Redaction.url(url)) did not answer: \(Redaction.scrub(error.message, url: url))")
        }
        guard (200..<300).contains(response.status) else {
            // One line: the status and the start of the answer (an HTML error page is no message).
            let oneLine = String(decoding: response.body.prefix(600), as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
            let text = OutsideText.printable(Redaction.text(oneLine, secrets: options.stateChangeHeaders.map(\.value)), limit: 200)
            throw VerifyError("provider state '\(state.name)' (\(action)) failed: \(Redaction.url(url)) answered HTTP \(response.status)\(text.isEmpty ? "" : ": \(text)")")
        }
        if response.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return JSONObject() }
        guard let value = try? JSONParser.parse(response.body), case .object(let object) = value else {
            let text = String(decoding: response.body.prefix(120), as: UTF8.self)
            throw VerifyError("provider state '\(state.name)' (\(action)): \(Redaction.url(url)) answered something that is not a JSON object: \(text)")
        }
        return object
    }

    func verifyHTTP(_ request: HTTPRequest, _ expected: HTTPResponse) async throws -> InteractionOutcome {
        guard let url = Self.requestURL(base: options.providerBaseURL!, path: request.path, query: request.query) else {
            return .error("the path '\(request.path.prefix(80))' cannot be sent to \(options.providerBaseURL!): it must start with '/'")
        }
        var headers = request.headers.entries
        for extra in options.defaultHeaders where !headers.contains(where: { $0.name.lowercased() == extra.name.lowercased() }) {
            headers.append(extra)
        }
        for extra in options.headers {
            headers.removeAll { $0.name.lowercased() == extra.name.lowercased() }
            headers.append(extra)
        }
        var body: [UInt8] = []
        if !request.body.isMissing && request.body != .null {
            body = request.body.bytes
            if request.headers["Content-Type"] == nil, let type = request.contentType { headers.append(("Content-Type", type.description)) }
        }
        let response: HTTPClientResponse
        do {
            response = try await client.send(HTTPClientRequest(method: request.method.uppercased(), url: url, headers: headers, body: body,
                                                               timeout: options.timeout, maxResponseBytes: options.maxBody))
        } catch let error as HTTPClientError where error.kind == .responseTooLarge {
            return .error("\(request.method.uppercased()) \(url): \(error.message) (--max-body \(options.maxBody))")
        } catch let error as HTTPClientError {
            return .error("\(request.method.uppercased()) \(url) got no response: \(error.message)")
        }
        let actualHeaders = Headers(response.headers.map { ($0.name, $0.value) })
        let actual = HTTPResponse(status: response.status, headers: actualHeaders, body: Body.received(response.body, contentType: actualHeaders.contentType))
        let result = ContractMatcher.match(expected: expected, actual: actual)
        return result.matched ? .passed : .failed(result.mismatches)
    }

    /// The URL of a pact request on the provider, built from the base URL's parts: the scheme,
    /// host and port always come from the base, whatever the pact's path holds.
    static func requestURL(base: String, path: String, query: Query?) -> String? {
        guard path.hasPrefix("/"), let components = URLComponents(string: base), let scheme = components.scheme, let host = components.host else {
            return nil
        }
        var url = scheme + "://" + (host.contains(":") ? "[\(host)]" : host) + (components.port.map { ":\($0)" } ?? "")
        let basePath = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
        url += basePath + (path.addingPercentEncoding(withAllowedCharacters: Self.pathCharacters) ?? path)
        if let query, !query.isEmpty { url += "?" + query.encoded }
        return url
    }

    /// Characters a path keeps as they are (RFC 3986 pchar and `/`), `%` included so paths
    /// already percent-encoded in the pact stay as written.
    static let pathCharacters = CharacterSet.urlPathAllowed.union(CharacterSet(charactersIn: "%"))

    func verifyMessage(_ interaction: Interaction, _ expected: Message, context: GeneratorContext, since: Date) async throws -> InteractionOutcome {
        if let brokers = options.kafkaBrokers { return try await verifyOnKafka(interaction, expected, brokers: brokers, context: context, since: since) }
        if let url = options.messagesURL { return try await verifyByRequest(interaction, expected, url: url) }
        return .error("message interactions need --kafka-brokers (consume the topic) or --messages-url (ask the provider)")
    }

    /// A request/reply message: POST the description, states and the request message to
    /// `--messages-url`; the answer (body and `Pact-Message-Metadata`) must match the reply.
    func verifySynchronous(_ interaction: Interaction, _ request: Message, _ responses: [Message]) async throws -> InteractionOutcome {
        guard let url = options.messagesURL else {
            return .error("synchronous message interactions need --messages-url (the provider answers the request message there)")
        }
        guard let expected = responses.first else { return .error("the interaction has no response message") }
        var requestFields: [(String, JSONValue)] = [("metadata", .object(request.metadata))]
        switch request.contents {
        case .json(let value): requestFields.insert(("contents", value), at: 0)
        case .missing, .null: requestFields.insert(("contents", .null), at: 0)
        default: requestFields.insert(("contents", .string(request.contents.displayText)), at: 0)
        }
        return try await verifyByRequest(interaction, expected, url: url, extra: [("request", .object(JSONObject(requestFields)))])
    }

    /// The Pact way: the provider answers a description with the message it would send.
    func verifyByRequest(_ interaction: Interaction, _ expected: Message, url: String, extra: [(String, JSONValue)] = []) async throws -> InteractionOutcome {
        let states = JSONValue.array(interaction.providerStates.map { .object(JSONObject([("name", .string($0.name)), ("params", .object($0.params))])) })
        let body = JSONWriter.compact(.object(JSONObject([("description", .string(interaction.description)), ("providerStates", states)] + extra)))
        let response: HTTPClientResponse
        do {
            response = try await client.send(HTTPClientRequest(method: "POST", url: url, headers: [("Content-Type", "application/json")],
                                                               body: Array(body.utf8), timeout: options.timeout))
        } catch let error as HTTPClientError {
            return .error("the messages URL \(url) did not answer: \(error.message)")
        }
        guard (200..<300).contains(response.status) else {
            return .error("the messages URL answered HTTP \(response.status) for '\(interaction.description)'")
        }
        var metadata = JSONObject()
        if let header = response.header("Pact-Message-Metadata"), let data = Data(base64Encoded: header),
           let value = try? JSONParser.parse(Array(data)), case .object(let object) = value {
            metadata = object
        }
        let type = response.header("Content-Type").flatMap(ContentType.init)
        if let type { metadata["contentType"] = metadata["contentType"] ?? .string(type.description) }
        let actual = Message(contents: Body.received(response.body, contentType: type), contentType: type, metadata: metadata)
        let result = ContractMatcher.match(expected: expected, actual: actual)
        return result.matched ? .passed : .failed(result.mismatches)
    }
}
