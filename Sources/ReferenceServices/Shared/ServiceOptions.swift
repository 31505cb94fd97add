import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// A deliberate defect, so a team can watch Tollgate catch it:
/// `rename-field:SERVICE:FROM=TO`, `drop-event-field:EVENT:FIELD`, `fail-route:SERVICE:PATH-PREFIX`,
/// `dual-write-drop=SHARE`.
package enum Breakage: Sendable, Equatable, CustomStringConvertible {
    /// Renames a key wherever it appears in the service's JSON responses.
    case renameField(service: String, from: String, to: String)
    /// Leaves a field out of an event's payload.
    case dropEventField(event: String, field: String)
    /// Answers 500 for requests whose path starts with the prefix.
    case failRoute(service: String, pathPrefix: String)
    /// Drops this share (0–1) of the services' writes into the monolith's database.
    case dualWriteDrop(share: Double)
    /// Answers requests whose path starts with the prefix this many milliseconds late.
    case slowRoute(service: String, pathPrefix: String, milliseconds: Int)

    /// The spellings `init(spec:)` accepts, for help and error texts.
    package static let forms = "rename-field:SERVICE:FROM=TO, drop-event-field:EVENT:FIELD, fail-route:SERVICE:PATH, slow-route:SERVICE:PATH=MS, dual-write-drop=SHARE (0.001 or 0.1%)"

    package init?(spec: String) {
        if spec.hasPrefix("dual-write-drop=") {
            // A share (0.001) or a percentage (0.1%).
            let value = spec.dropFirst("dual-write-drop=".count)
            let percent = value.hasSuffix("%")
            guard let number = Double(percent ? value.dropLast() : value), number.isFinite else { return nil }
            let share = percent ? number / 100 : number
            guard (0...1).contains(share) else { return nil }
            self = .dualWriteDrop(share: share)
            return
        }
        let parts = spec.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3 else { return nil }
        switch parts[0] {
        case "rename-field":
            let names = parts[2].split(separator: "=").map(String.init)
            guard names.count == 2 else { return nil }
            self = .renameField(service: parts[1], from: names[0], to: names[1])
        case "drop-event-field": self = .dropEventField(event: parts[1], field: parts[2])
        case "fail-route": self = .failRoute(service: parts[1], pathPrefix: parts[2])
        case "slow-route":
            // PATH=MS: up to 60 s, so a typo cannot hang a service for hours.
            let halves = parts[2].split(separator: "=").map(String.init)
            guard halves.count == 2, halves[0].hasPrefix("/"), let ms = Int(halves[1]), (1...60_000).contains(ms) else { return nil }
            self = .slowRoute(service: parts[1], pathPrefix: halves[0], milliseconds: ms)
        default: return nil
        }
    }

    package var description: String {
        switch self {
        case .renameField(let s, let f, let t): return "rename-field:\(s):\(f)=\(t)"
        case .dropEventField(let e, let f): return "drop-event-field:\(e):\(f)"
        case .failRoute(let s, let p): return "fail-route:\(s):\(p)"
        case .dualWriteDrop(let share): return "dual-write-drop=\(share)"
        case .slowRoute(let s, let p, let ms): return "slow-route:\(s):\(p)=\(ms)"
        }
    }
}

/// Switches that change how a service behaves for testing: provider states and breakages.
package struct ServiceOptions: Sendable {
    /// Serve `POST /_pact/provider-states` (never on by default).
    package var providerStates = false
    package var breakages: [Breakage] = []

    package init(providerStates: Bool = false, breakages: [Breakage] = []) {
        self.providerStates = providerStates
        self.breakages = breakages
    }

    func breakages(for service: String) -> [Breakage] {
        breakages.filter {
            switch $0 {
            case .renameField(let s, _, _), .failRoute(let s, _), .slowRoute(let s, _, _): return s == service
            case .dropEventField, .dualWriteDrop: return false
            }
        }
    }
}

/// Applies the response breakages of one service.
struct BreakageMiddleware: RouterMiddleware {
    let breakages: [Breakage]

    func handle(_ request: Request, context: ServiceContext, next: (Request, ServiceContext) async throws -> Response) async throws -> Response {
        for case .failRoute(_, let prefix) in breakages where request.uri.path.hasPrefix(prefix) {
            throw APIError(.internalServerError, "broken_on_purpose", "this route was broken on purpose (--break fail-route)")
        }
        for case .slowRoute(_, let prefix, let milliseconds) in breakages where request.uri.path.hasPrefix(prefix) {
            try await Task.sleep(for: .milliseconds(milliseconds))
        }
        var response = try await next(request, context)
        let renames = breakages.compactMap { if case .renameField(_, let from, let to) = $0 { return (from, to) } else { return nil } }
        guard !renames.isEmpty, response.headers[.contentType]?.hasPrefix("application/json") == true else { return response }
        let collected = CollectedBody()
        try await response.body.write(CollectingWriter(target: collected))
        let bytes = collected.bytes
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else {
            response.body = .init(byteBuffer: ByteBuffer(bytes: bytes))
            return response
        }
        func rename(_ value: Any) -> Any {
            if let dictionary = value as? [String: Any] {
                var out: [String: Any] = [:]
                for (key, inner) in dictionary { out[renames.first { $0.0 == key }?.1 ?? key] = rename(inner) }
                return out
            }
            if let array = value as? [Any] { return array.map(rename) }
            return value
        }
        let data = try JSONSerialization.data(withJSONObject: rename(object), options: [.fragmentsAllowed, .sortedKeys])
        response.body = .init(byteBuffer: ByteBuffer(bytes: data))
        response.headers[.contentLength] = nil
        return response
    }
}

/// The bytes a handler wrote, gathered for rewriting.
final class CollectedBody: Sendable {
    private let buffer = Mutex<[UInt8]>([])
    var bytes: [UInt8] { buffer.withLock { $0 } }
    func append(_ more: ByteBuffer) { buffer.withLock { $0 += more.readableBytesView } }
}

/// Gathers a response body written by a handler, so a middleware can rewrite it.
struct CollectingWriter: ResponseBodyWriter {
    let target: CollectedBody
    mutating func write(_ buffer: ByteBuffer) async throws { target.append(buffer) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// Leaves fields out of events, for `drop-event-field` breakages.
struct BreakingEventPublisher: EventPublisher {
    let inner: any EventPublisher
    let breakages: [Breakage]

    func publish(_ event: DomainEvent) async throws {
        var event = event
        for case .dropEventField(let type, let field) in breakages where type == event.type { event.payload[field] = nil }
        try await inner.publish(event)
    }

    func isReachable() async -> Bool { await inner.isReachable() }
    var recorder: EventRecorder? { inner.recorder }
}

/// Provider-state handlers of one service, keyed by a regular expression over the state name
/// (captured groups are passed along with the params).
struct ProviderStates: Sendable {
    typealias Handler = @Sendable (_ captures: [String], _ params: [String: JSONField]) async throws -> [String: JSONField]
    var handlers: [(pattern: String, handler: Handler)] = []

    mutating func on(_ pattern: String, _ handler: @escaping Handler) { handlers.append((pattern, handler)) }

    struct Call: Decodable { let state: String?; let params: [String: JSONField]?; let action: String? }
    struct MessageCall: Decodable {
        struct State: Decodable { let name: String; let params: [String: JSONField]? }
        let description: String
        let providerStates: [State]?
    }

    /// Sets up one state; what it returns feeds the verifier's ProviderState generators.
    func setUp(_ state: String, params: [String: JSONField]) async throws -> [String: JSONField] {
        for (pattern, handler) in handlers {
            let regex = try NSRegularExpression(pattern: "^" + pattern + "$", options: [.caseInsensitive])
            let range = NSRange(state.startIndex..., in: state)
            guard let match = regex.firstMatch(in: state, range: range) else { continue }
            let captures = (1..<max(1, match.numberOfRanges)).compactMap { Range(match.range(at: $0), in: state).map { String(state[$0]) } }
            return try await handler(captures, params)
        }
        throw APIError(.badRequest, "unknown_provider_state", "no setup for provider state '\(state)'; known: \(handlers.map(\.pattern).joined(separator: " | "))")
    }

    /// Adds `POST /_pact/provider-states`, and with a recorder `POST /_pact/messages`: the
    /// Pact way of verifying messages (set up the states, answer with the event they caused,
    /// its metadata base64-encoded in `Pact-Message-Metadata`). Both change data and can mint
    /// tokens, so both need a service or admin token: `Authorization: Bearer …`, or `?token=…`
    /// for verifiers that cannot add a header to state-change calls (the Pact CLI's `-s URL`).
    func register(on router: Router<ServiceContext>, recorder: EventRecorder? = nil, signer: JWTSigner) {
        @Sendable func authorize(_ request: Request) throws {
            let authorization = request.header("Authorization") ?? request.uri.queryParameters["token"].map { "Bearer " + String($0) }
            _ = try signer.claims(authorization, requiring: [Role.admin, Role.service])
        }
        router.post("/_pact/provider-states") { request, _ in
            try authorize(request)
            let call = try await request.decodeJSON(Call.self)
            // Teardowns need nothing; the Pact reference verifier also calls with no state at all.
            guard call.action != "teardown", let state = call.state, !state.isEmpty else { return try JSON.response([String: JSONField]()) }
            return try JSON.response(try await setUp(state, params: call.params ?? [:]))
        }
        guard let recorder else { return }
        let messages: @Sendable (Request, ServiceContext) async throws -> Response = { request, _ in
            try authorize(request)
            let call = try await request.decodeJSON(MessageCall.self)
            var key: String?
            for state in call.providerStates ?? [] {
                let values = try await setUp(state.name, params: state.params ?? [:])
                key = values["key"]?.stringValue ?? key
            }
            guard let key, let event = recorder.latest(aggregate: key, describedBy: call.description) else {
                throw APIError(.notFound, "no_message", "the provider states of '\(call.description)' published no event")
            }
            let metadata = try JSON.encode(["contentType": "application/json", "topic": event.type, "event_type": event.type,
                                            "event_version": String(event.version), "correlation_id": event.correlationID])
            return Response(status: .ok, headers: [.contentType: "application/json", HTTPField.Name("Pact-Message-Metadata")!: Data(metadata).base64EncodedString()],
                            body: .init(byteBuffer: ByteBuffer(bytes: try event.envelope())))
        }
        router.post("/_pact/messages", use: messages)
    }
}

extension JSONField {
    var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .decimal(let d): return "\(d)"
        default: return nil
        }
    }

    var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .string(let s): return Int(s)
        case .decimal(let d): return Int(exactly: NSDecimalNumber(decimal: d).doubleValue)
        default: return nil
        }
    }
}
