import ContractCore
import Foundation
import NIOCore
import NIOHTTP1

/// A request as the stub reads it off the wire.
struct StubRequest: Sendable {
    let method: String
    let path: String
    let query: String?
    let headers: HTTPHeaders
    let body: ByteBuffer?

    /// `METHOD /path?query`, for log lines.
    var line: String { "\(method) \(path)\(query.map { "?" + $0 } ?? "")" }
}

/// What the stub answers: status, header fields and body bytes.
struct StubAnswer: Sendable {
    let status: Int
    var headers: HTTPHeaders
    let body: ByteBuffer
}

/// Answers every request: the stub's own endpoints under `/__tollgate/`, CORS preflights, and
/// everything else from the best-matching interaction (with fresh generated values, the request
/// log, and an explanation of every candidate when none matches). Pure of I/O: the server hands
/// it a request and writes what it returns.
struct StubResponder: Sendable {
    let registry: StubRegistry
    let configuration: StubConfiguration
    let state: StateSelector?
    let baseURL: BaseURL
    /// The `--state-header` field, lower-cased once.
    let stateField: String?
    /// How many of the closest interactions an unmatched request's answer explains.
    static let explainedCandidates = 5

    func answer(_ request: StubRequest) -> StubAnswer {
        if request.path.hasPrefix("/__tollgate/") { return own(request) }
        if configuration.cors, request.method == "OPTIONS", request.headers.contains(name: "access-control-request-method") {
            var headers = corsHeaders()
            headers.add(name: "access-control-allow-methods", value: "GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD")
            headers.add(name: "access-control-allow-headers", value: request.headers.first(name: "access-control-request-headers") ?? "*")
            headers.add(name: "access-control-max-age", value: "600")
            return StubAnswer(status: 204, headers: headers, body: ByteBuffer())
        }
        var headers = Headers()
        for (name, value) in request.headers { headers.add(name, value) }
        let bytes = request.body.map { Array($0.readableBytesView) } ?? []
        let actual = ContractCore.HTTPRequest(method: request.method, path: request.path, query: Query(parsing: request.query ?? ""),
                                              headers: headers, body: Body.received(bytes, contentType: headers.contentType))
        var stateFilter = state
        if let stateField, let value = request.headers.first(name: stateField) { stateFilter = .name(value) }
        let log = configuration.log
        switch StubMatcher.match(actual, in: registry.current, state: stateFilter) {
        case .matched(let entry, let tie):
            var prepared = entry.prepared
            if !entry.generators.isEmpty {
                var providerState = JSONObject()
                for s in entry.states { for (k, v) in s.params { providerState[k] = v } }
                prepared = PreparedResponse(entry.response.generated(with: entry.generators,
                                                                     GeneratorContext(providerState: providerState, mockServerURL: baseURL.get())))
            }
            var headers = prepared.headers
            if configuration.cors { headers.add(contentsOf: corsHeaders()) }
            if let problem = entry.generatorProblem {
                // The contract's example goes out as it is written, and the failure is said.
                log?("\(request.line): a generator of '\(entry.description)' failed, answering the example as written: \(problem)")
                headers.replaceOrAdd(name: "X-Tollgate-Warning", value: "generator failed: \(problem.prefix(200))")
            }
            var recorded = RecordedRequest(at: Date(), method: request.method, path: request.path, query: request.query,
                                           matched: entry.description, status: prepared.status)
            if !tie.isEmpty {
                recorded.warning = "as specific: \(tie.prefix(3).map { "'\($0)'" }.joined(separator: ", "))\(tie.count > 3 ? " and \(tie.count - 3) more" : ""); the first in pact order answered"
                log?("\(request.line): \(recorded.warning!)")
            }
            registry.record(recorded)
            log?("\(request.line) → \(prepared.status) '\(entry.description)'")
            return StubAnswer(status: prepared.status, headers: headers, body: prepared.body)
        case .unmatched(let candidates):
            registry.record(RecordedRequest(at: Date(), method: request.method, path: request.path, query: request.query,
                                            matched: nil, status: configuration.unmatchedStatus))
            if let log {
                let closest = candidates.first
                log("\(request.line) → \(configuration.unmatchedStatus) no interaction matched"
                    + (closest.map { " (closest: '\($0.entry.description)', \($0.mismatches.count) mismatch(es))" } ?? ""))
            }
            var answer = Self.json(Self.explain(request, candidates), status: configuration.unmatchedStatus)
            if configuration.cors { answer.headers.add(contentsOf: corsHeaders()) }
            return answer
        }
    }

    /// `GET /__tollgate/interactions` (what is served) and `GET /__tollgate/requests` (the request log).
    private func own(_ request: StubRequest) -> StubAnswer {
        guard ["/__tollgate/interactions", "/__tollgate/requests"].contains(request.path) else {
            return Self.json(.object(JSONObject([("error", .string("no such endpoint: \(request.path)"))])), status: 404)
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            var answer = Self.json(.object(JSONObject([("error", .string("\(request.path) answers GET only"))])), status: 405)
            answer.headers.add(name: "allow", value: "GET, HEAD")
            return answer
        }
        let list: JSONValue
        if request.path == "/__tollgate/interactions" {
            list = .object(JSONObject([("interactions", .array(registry.all.map { e in
                JSONValue.object(JSONObject([
                    ("consumer", .string(e.consumer)), ("provider", .string(e.provider)), ("source", .string(e.source)),
                    ("description", .string(e.description)), ("provider_states", .array(e.states.map { .string($0.name) })),
                    ("method", .string(e.request.method.uppercased())), ("path", .string(e.request.path)),
                ]))
            }))]))
        } else {
            let iso = ISO8601DateFormatter()
            list = .object(JSONObject([("requests", .array(registry.requests.map { r in
                JSONValue.object(JSONObject([
                    ("at", .string(iso.string(from: r.at))), ("method", .string(r.method)), ("path", .string(r.path)),
                    ("query", r.query.map { .string($0) } ?? .null), ("matched", r.matched.map { .string($0) } ?? .null),
                    ("status", .integer(Int64(r.status))), ("warning", r.warning.map { .string($0) } ?? .null),
                ]))
            }))]))
        }
        return Self.json(list)
    }

    static func json(_ value: JSONValue, status: Int = 200) -> StubAnswer {
        StubAnswer(status: status, headers: ["content-type": "application/json"], body: ByteBuffer(string: JSONWriter.compact(value)))
    }

    /// The body of a 500 for an unmatched request: the closest interaction and why each candidate failed.
    static func explain(_ request: StubRequest, _ candidates: [(entry: StubEntry, mismatches: [Mismatch])]) -> JSONValue {
        func candidate(_ c: (entry: StubEntry, mismatches: [Mismatch])) -> JSONValue {
            let fields: [(String, JSONValue)] = [("description", .string(c.entry.description)),
                                                 ("provider_states", .array(c.entry.states.map { .string($0.name) })),
                                                 ("mismatches", .array(c.mismatches.map(\.json)))]
            return .object(JSONObject(fields))
        }
        let summary: [(String, JSONValue)] = [("method", .string(request.method)), ("path", .string(request.path)),
                                              ("query", request.query.map { .string($0) } ?? .null)]
        let fields: [(String, JSONValue)] = [("error", .string("no interaction matched the request")), ("request", .object(JSONObject(summary))),
                                             ("closest", candidates.first.map { .string($0.entry.description) } ?? .null),
                                             ("candidates", .array(candidates.prefix(explainedCandidates).map(candidate))),
                                             ("candidates_not_shown", .integer(Int64(max(0, candidates.count - explainedCandidates))))]
        return .object(JSONObject(fields))
    }

    func corsHeaders() -> HTTPHeaders {
        ["access-control-allow-origin": "*", "access-control-expose-headers": "*"]
    }
}
