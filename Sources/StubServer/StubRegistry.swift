import ContractCore
import Foundation

/// One HTTP interaction a stub can answer with.
struct StubEntry: Sendable {
    let consumer: String
    let provider: String
    let source: String
    let description: String
    let states: [ProviderState]
    let request: HTTPRequest
    let response: HTTPResponse
}

/// A request the stub received and what it did with it.
struct RecordedRequest: Sendable {
    let at: Date
    let method: String
    let path: String
    let query: String?
    let matched: String?
    let status: Int
}

/// The interactions being served and the requests seen; reloadable while serving.
final class StubRegistry: @unchecked Sendable {
    // Safe: `entries` and `recorded` are only touched under `lock`.
    private let lock = NSLock()
    private var entries: [StubEntry]
    private var recorded: [RecordedRequest] = []

    init(pacts: [(pact: Pact, source: String)]) { entries = StubRegistry.entries(pacts) }

    static func entries(_ pacts: [(pact: Pact, source: String)]) -> [StubEntry] {
        pacts.flatMap { loaded in
            loaded.pact.interactions.compactMap { interaction -> StubEntry? in
                guard case .http(let request, let response) = interaction.kind else { return nil }
                return StubEntry(consumer: loaded.pact.consumer, provider: loaded.pact.provider, source: loaded.source,
                                 description: interaction.description, states: interaction.providerStates, request: request, response: response)
            }
        }
    }

    var all: [StubEntry] { lock.lock(); defer { lock.unlock() }; return entries }

    func replace(with pacts: [(pact: Pact, source: String)]) {
        let fresh = StubRegistry.entries(pacts)
        lock.lock()
        entries = fresh
        lock.unlock()
    }

    func record(_ request: RecordedRequest) {
        lock.lock()
        recorded.append(request)
        if recorded.count > 10_000 { recorded.removeFirst(recorded.count - 10_000) }
        lock.unlock()
    }

    var requests: [RecordedRequest] { lock.lock(); defer { lock.unlock() }; return recorded }
}
