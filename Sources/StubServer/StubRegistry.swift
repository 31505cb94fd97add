import ContractCore
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import Synchronization

/// One HTTP interaction a stub can answer with, with everything that does not change per
/// request prepared when the pact loads.
struct StubEntry: Sendable {
    let consumer: String
    let provider: String
    let source: String
    let description: String
    let states: [ProviderState]
    let request: ContractCore.HTTPRequest
    let response: ContractCore.HTTPResponse
    /// The request's method in upper case, as requests are compared.
    let method: String
    /// True when the method or path is matched by rules rather than by equality.
    let matchedByRules: Bool
    /// The response's generators, decoded once.
    let generators: Generators
    /// Why the generators could not be decoded; the example is then served as written.
    let generatorProblem: String?
    /// The response as it goes out when no generator applies: status, header fields, body bytes.
    let prepared: PreparedResponse
    /// How specifically the request is described: the most specific matching interaction answers.
    let specificity: Specificity

    init(consumer: String, provider: String, source: String, description: String, states: [ProviderState],
         request: ContractCore.HTTPRequest, response: ContractCore.HTTPResponse) {
        self.consumer = consumer
        self.provider = provider
        self.source = source
        self.description = description
        self.states = states
        self.request = request
        self.response = response
        method = request.method.uppercased()
        matchedByRules = request.matchingRules.method != nil || request.matchingRules.path != nil
        specificity = Specificity(request)
        do {
            generators = try Generators.decode(response.generators, at: "generators")
            generatorProblem = nil
        } catch {
            generators = Generators()
            generatorProblem = "\(error)"
        }
        prepared = PreparedResponse(response)
    }
}

/// A response converted once into what the server writes.
struct PreparedResponse: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: ByteBuffer

    init(_ response: ContractCore.HTTPResponse) {
        var headers = HTTPHeaders()
        // Names and values HTTP cannot carry are left out (the server sets the length itself).
        for header in response.headers where header.name.lowercased() != "content-length" {
            if let name = HTTPField.Name(header.name), HTTPField.isValidValue(header.value) { headers.add(name: name.rawName, value: header.value) }
        }
        if !headers.contains(name: "content-type"), !response.body.isEmpty, let type = response.contentType { headers.add(name: "content-type", value: type.description) }
        status = response.status
        self.headers = headers
        body = ByteBuffer(bytes: response.body.bytes)
    }
}

/// The interactions being served, indexed by method and path so a request is matched
/// against the few interactions that can answer it.
struct StubIndex: Sendable {
    struct Route: Hashable {
        let method: String
        let path: String
    }

    let entries: [StubEntry]
    /// Some request is matched by a regular expression: matching may take a client-chosen time
    /// (`^(a+)+$` on `aaaa…!`), so it runs off the event loops.
    let matchesByRegex: Bool
    /// Interactions compared by equality of method and path, in pact order.
    private let byRoute: [Route: [Int]]
    /// Interactions whose method or path has matching rules: candidates for every request.
    private let byRules: [Int]

    init(_ entries: [StubEntry]) {
        self.entries = entries
        matchesByRegex = entries.contains { entry in
            let rules = entry.request.matchingRules
            let lists = [rules.method, rules.path].compactMap { $0 } + rules.headers.map(\.rules) + rules.query.map(\.rules) + rules.body.entries.map(\.rules)
            return lists.contains { list in list.rules.contains { if case .regex = $0 { return true } else { return false } } }
        }
        var byRoute: [Route: [Int]] = [:]
        var byRules: [Int] = []
        for (position, entry) in entries.enumerated() {
            if entry.matchedByRules {
                byRules.append(position)
            } else {
                byRoute[Route(method: entry.method, path: entry.request.path), default: []].append(position)
            }
        }
        self.byRoute = byRoute
        self.byRules = byRules
    }

    /// Positions of the interactions that may answer `method` and `path`, in pact order.
    func candidates(method: String, path: String) -> [Int] {
        let exact = byRoute[Route(method: method, path: path)] ?? []
        if byRules.isEmpty { return exact }
        if exact.isEmpty { return byRules }
        var merged: [Int] = []
        merged.reserveCapacity(exact.count + byRules.count)
        var i = 0, j = 0
        while i < exact.count || j < byRules.count {
            if j == byRules.count || (i < exact.count && exact[i] < byRules[j]) {
                merged.append(exact[i]); i += 1
            } else {
                merged.append(byRules[j]); j += 1
            }
        }
        return merged
    }
}

/// A request the stub received and what it did with it.
struct RecordedRequest: Sendable {
    let at: Date
    let method: String
    let path: String
    let query: String?
    let matched: String?
    let status: Int
    /// Why another interaction could have answered as well (equally specific, chosen by pact order).
    var warning: String? = nil
}

/// The interactions being served and the last requests seen; reloadable while serving.
final class StubRegistry: Sendable {
    /// How many of the latest requests `/__tollgate/requests` lists.
    static let recordedCapacity = 10_000

    private let index: Mutex<StubIndex>
    private let recorded = Mutex(RingBuffer<RecordedRequest>(capacity: StubRegistry.recordedCapacity))

    init(pacts: [(pact: Pact, source: String)]) { index = Mutex(StubIndex(StubRegistry.entries(pacts))) }

    static func entries(_ pacts: [(pact: Pact, source: String)]) -> [StubEntry] {
        pacts.flatMap { loaded in
            loaded.pact.interactions.compactMap { interaction -> StubEntry? in
                guard case .http(let request, let response) = interaction.kind else { return nil }
                return StubEntry(consumer: loaded.pact.consumer, provider: loaded.pact.provider, source: loaded.source,
                                 description: interaction.description, states: interaction.providerStates, request: request, response: response)
            }
        }
    }

    /// The interactions served now.
    var current: StubIndex { index.withLock { $0 } }

    var all: [StubEntry] { current.entries }

    func replace(with pacts: [(pact: Pact, source: String)]) {
        let fresh = StubIndex(StubRegistry.entries(pacts))
        index.withLock { $0 = fresh }
    }

    func record(_ request: RecordedRequest) {
        recorded.withLock { $0.append(request) }
    }

    /// The recorded requests, oldest first.
    var requests: [RecordedRequest] { recorded.withLock { $0.elements } }
}

/// The latest `capacity` values appended, without moving the others when one is dropped.
struct RingBuffer<Element> {
    private var storage: [Element] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    mutating func append(_ element: Element) {
        if storage.count < capacity {
            storage.append(element)
        } else {
            storage[next] = element
        }
        next = (next + 1) % capacity
    }

    /// Oldest first.
    var elements: [Element] {
        storage.count < capacity ? storage : Array(storage[next...] + storage[..<next])
    }
}

extension RingBuffer: Sendable where Element: Sendable {}
