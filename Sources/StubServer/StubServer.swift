import ContractCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServerRuntime

/// Serves the HTTP interactions of pacts, as a provider that does not exist yet would answer.
public final class StubServer: Sendable {
    public let url: String
    public let port: Int
    let registry: StubRegistry
    private let server: RunningServer
    private let watcher: Task<Void, Never>?

    /// Starts serving; `reload` re-reads the pacts when `--watch` sees a change.
    public static func start(pacts: [(pact: Pact, source: String)], configuration: StubConfiguration,
                             reload: (@Sendable () async throws -> [(pact: Pact, source: String)])? = nil) async throws -> StubServer {
        let registry = StubRegistry(pacts: pacts)
        let state = try configuration.stateFilter.map { try NSRegularExpression(pattern: $0) }
        let router = Router()
        let baseURL = BaseURL()
        router.add(middleware: StubMiddleware(registry: registry, configuration: configuration, state: state.map(StateSelector.pattern),
                                             baseURL: baseURL, stateField: configuration.stateHeader.flatMap { HTTPField.Name($0) }))
        router.get("/__tollgate/interactions") { _, _ in
            let list = registry.all.map { e in
                JSONValue.object(JSONObject([
                    ("consumer", .string(e.consumer)), ("provider", .string(e.provider)), ("source", .string(e.source)),
                    ("description", .string(e.description)), ("provider_states", .array(e.states.map { .string($0.name) })),
                    ("method", .string(e.request.method.uppercased())), ("path", .string(e.request.path)),
                ]))
            }
            return Self.json(.object(JSONObject([("interactions", .array(list))])))
        }
        router.get("/__tollgate/requests") { _, _ in
            let iso = ISO8601DateFormatter()
            let list = registry.requests.map { r in
                JSONValue.object(JSONObject([
                    ("at", .string(iso.string(from: r.at))), ("method", .string(r.method)), ("path", .string(r.path)),
                    ("query", r.query.map { .string($0) } ?? .null), ("matched", r.matched.map { .string($0) } ?? .null),
                    ("status", .integer(Int64(r.status))),
                ]))
            }
            return Self.json(.object(JSONObject([("requests", .array(list))])))
        }
        let server: RunningServer
        do {
            server = try await RunningServer.start(name: "tollgate-stub", router: router, host: configuration.host, port: configuration.port)
        } catch {
            throw StubError("\(error)")
        }
        let port = server.port
        let url = "http://\(configuration.host):\(port)"
        baseURL.set(url)
        var watcher: Task<Void, Never>?
        if configuration.watch, let reload {
            watcher = Task { await Self.watch(pacts.map(\.source), registry: registry, reload: reload, log: configuration.log ?? { _ in }) }
        }
        return StubServer(url: url, port: port, registry: registry, server: server, watcher: watcher)
    }

    private init(url: String, port: Int, registry: StubRegistry, server: RunningServer, watcher: Task<Void, Never>?) {
        self.url = url
        self.port = port
        self.registry = registry
        self.server = server
        self.watcher = watcher
    }

    /// How many interactions are being served.
    public var interactionCount: Int { registry.all.count }

    public func stop() async {
        watcher?.cancel()
        await server.stop()
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: JSONWriter.compact(value))))
    }

    /// Polls the pact files' modification times once a second and reloads on change.
    static func watch(_ files: [String], registry: StubRegistry, reload: @Sendable () async throws -> [(pact: Pact, source: String)],
                      log: @Sendable (String) -> Void) async {
        func stamps() -> [String: Date] {
            Dictionary(files.compactMap { file in
                (try? FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date).map { (file, $0) }
            }, uniquingKeysWith: { a, _ in a })
        }
        var last = stamps()
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let now = stamps()
            guard now != last else { continue }
            last = now
            do {
                let pacts = try await reload()
                registry.replace(with: pacts)
                log("reloaded: \(registry.all.count) interaction(s)")
            } catch {
                log("reload failed, still serving the previous interactions: \(error)")
            }
        }
    }
}

/// The stub's URL, known once it listens (for MockServerURL generators).
final class BaseURL: @unchecked Sendable {
    // Safe: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value: String?
    func set(_ url: String) { lock.lock(); value = url; lock.unlock() }
    func get() -> String? { lock.lock(); defer { lock.unlock() }; return value }
}

public struct StubError: Error, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Answers every request outside `/__tollgate/` from the best-matching interaction.
struct StubMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let registry: StubRegistry
    let configuration: StubConfiguration
    let state: StateSelector?
    let baseURL: BaseURL
    /// The `--state-header` field, parsed once.
    let stateField: HTTPField.Name?
    /// How many of the closest interactions an unmatched request's answer explains.
    static let explainedCandidates = 5

    func handle(_ request: Request, context: BasicRequestContext, next: (Request, BasicRequestContext) async throws -> Response) async throws -> Response {
        if request.uri.path.hasPrefix("/__tollgate/") { return try await next(request, context) }
        if configuration.cors, request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = corsHeaders()
            headers[.accessControlAllowMethods] = "GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD"
            headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? "*"
            headers[.accessControlMaxAge] = "600"
            return Response(status: .noContent, headers: headers)
        }
        let body = try await request.body.collect(upTo: 16 * 1024 * 1024)
        var headers = Headers()
        for field in request.headers { headers.add(field.name.rawName, field.value) }
        let actual = ContractCore.HTTPRequest(method: request.method.rawValue, path: request.uri.path, query: Query(parsing: request.uri.query ?? ""),
                                 headers: headers, body: Body.received(Array(body.readableBytesView), contentType: headers.contentType))
        var stateFilter = state
        if let stateField, let value = request.headers[stateField] { stateFilter = .name(value) }
        let log = configuration.log
        switch StubMatcher.match(actual, in: registry.current, state: stateFilter) {
        case .matched(let entry):
            var prepared = entry.prepared
            if !entry.generators.isEmpty {
                var providerState = JSONObject()
                for s in entry.states { for (k, v) in s.params { providerState[k] = v } }
                prepared = PreparedResponse(entry.response.generated(with: entry.generators,
                                                                     GeneratorContext(providerState: providerState, mockServerURL: baseURL.get())))
            }
            var fields = prepared.fields
            if configuration.cors { fields.append(contentsOf: corsHeaders()) }
            if let problem = entry.generatorProblem {
                // The contract's example goes out as it is written, and the failure is said.
                log?("\(Self.line(request)): a generator of '\(entry.description)' failed, answering the example as written: \(problem)")
                fields[HTTPField.Name("X-Tollgate-Warning")!] = "generator failed: \(problem.prefix(200))"
            }
            registry.record(RecordedRequest(at: Date(), method: request.method.rawValue, path: request.uri.path, query: request.uri.query,
                                            matched: entry.description, status: prepared.status.code))
            log?("\(Self.line(request)) → \(prepared.status.code) '\(entry.description)'")
            return Response(status: prepared.status, headers: fields, body: .init(byteBuffer: prepared.body))
        case .unmatched(let candidates):
            registry.record(RecordedRequest(at: Date(), method: request.method.rawValue, path: request.uri.path, query: request.uri.query,
                                            matched: nil, status: configuration.unmatchedStatus))
            if let log {
                let closest = candidates.first
                log("\(Self.line(request)) → \(configuration.unmatchedStatus) no interaction matched"
                    + (closest.map { " (closest: '\($0.entry.description)', \($0.mismatches.count) mismatch(es))" } ?? ""))
            }
            let explanation = Self.explain(request, candidates)
            var response = StubServer.json(explanation, status: .init(code: configuration.unmatchedStatus))
            if configuration.cors { for field in corsHeaders() { response.headers.append(field) } }
            return response
        }
    }

    /// `METHOD /path?query`, for log lines.
    static func line(_ request: Request) -> String {
        "\(request.method.rawValue) \(request.uri.path)\(request.uri.query.map { "?" + $0 } ?? "")"
    }

    /// The body of a 500 for an unmatched request: the closest interaction and why each candidate failed.
    static func explain(_ request: Request, _ candidates: [(entry: StubEntry, mismatches: [Mismatch])]) -> JSONValue {
        func candidate(_ c: (entry: StubEntry, mismatches: [Mismatch])) -> JSONValue {
            let fields: [(String, JSONValue)] = [("description", .string(c.entry.description)),
                                                 ("provider_states", .array(c.entry.states.map { .string($0.name) })),
                                                 ("mismatches", .array(c.mismatches.map(\.json)))]
            return .object(JSONObject(fields))
        }
        let summary: [(String, JSONValue)] = [("method", .string(request.method.rawValue)), ("path", .string(request.uri.path)),
                                              ("query", request.uri.query.map { .string($0) } ?? .null)]
        let fields: [(String, JSONValue)] = [("error", .string("no interaction matched the request")), ("request", .object(JSONObject(summary))),
                                             ("closest", candidates.first.map { .string($0.entry.description) } ?? .null),
                                             ("candidates", .array(candidates.prefix(explainedCandidates).map(candidate))),
                                             ("candidates_not_shown", .integer(Int64(max(0, candidates.count - explainedCandidates))))]
        return .object(JSONObject(fields))
    }

    func corsHeaders() -> HTTPFields {
        [.accessControlAllowOrigin: "*", .accessControlExposeHeaders: "*"]
    }
}
