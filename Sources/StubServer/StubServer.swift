package import ContractCore
import Foundation

/// Serves the HTTP interactions of pacts, as a provider that does not exist yet would answer.
package final class StubServer: Sendable {
    package let url: String
    package let port: Int
    let registry: StubRegistry
    private let server: StubHTTPServer
    private let watcher: Task<Void, Never>?

    /// Starts serving; `reload` re-reads the pacts when `--watch` sees a change.
    package static func start(pacts: [(pact: Pact, source: String)], configuration: StubConfiguration,
                             reload: (@Sendable () async throws -> [(pact: Pact, source: String)])? = nil) async throws -> StubServer {
        let registry = StubRegistry(pacts: pacts)
        let state = try configuration.stateFilter.map { try NSRegularExpression(pattern: $0) }
        let baseURL = BaseURL()
        let responder = StubResponder(registry: registry, configuration: configuration, state: state.map(StateSelector.pattern),
                                      baseURL: baseURL, stateField: configuration.stateHeader?.lowercased())
        let server: StubHTTPServer
        do {
            server = try await StubHTTPServer.start(host: configuration.host, port: configuration.port, responder: responder)
        } catch {
            throw StubError("tollgate-stub could not listen on \(configuration.host):\(configuration.port): \(error)")
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

    private init(url: String, port: Int, registry: StubRegistry, server: StubHTTPServer, watcher: Task<Void, Never>?) {
        self.url = url
        self.port = port
        self.registry = registry
        self.server = server
        self.watcher = watcher
    }

    /// How many interactions are being served.
    package var interactionCount: Int { registry.all.count }

    package func stop() async {
        watcher?.cancel()
        await server.stop()
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

package struct StubError: Error, CustomStringConvertible {
    package let message: String
    init(_ message: String) { self.message = message }
    package var description: String { message }
}
