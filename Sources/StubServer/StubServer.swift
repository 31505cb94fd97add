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
        // The files as loaded: a change from here on is reloaded, however late the watcher starts.
        let loaded = configuration.watch ? FileStamp.of(pacts.map(\.source)) : [:]
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
            watcher = Task { await Self.watch(pacts.map(\.source), loaded: loaded, registry: registry, reload: reload, log: configuration.log ?? { _ in }) }
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

    /// Polls the pact files' modification times and sizes once a second and reloads on change.
    /// A reload that fails is tried again each second until one succeeds, as a file caught
    /// half-written may be finished within the same clock tick (its time then does not change
    /// again); each distinct failure is logged once.
    static func watch(_ files: [String], loaded: [String: FileStamp], registry: StubRegistry,
                      reload: @Sendable () async throws -> [(pact: Pact, source: String)], log: @Sendable (String) -> Void) async {
        var last = loaded
        var failure: String?
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let now = FileStamp.of(files)
            guard now != last || failure != nil else { continue }
            last = now
            do {
                let pacts = try await reload()
                registry.replace(with: pacts)
                failure = nil
                log("reloaded: \(registry.all.count) interaction(s)")
            } catch {
                let reason = "\(error)"
                if reason != failure { log("reload failed, still serving the previous interactions: \(reason)") }
                failure = reason
            }
        }
    }
}

/// What the stub watches of a pact file: when it last changed and its size.
struct FileStamp: Equatable, Sendable {
    let modified: Date
    let size: Int

    /// The stamps of the files that can be read now.
    static func of(_ files: [String]) -> [String: FileStamp] {
        Dictionary(files.compactMap { file in
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
                  let modified = attributes[.modificationDate] as? Date else { return nil }
            return (file, FileStamp(modified: modified, size: (attributes[.size] as? NSNumber)?.intValue ?? 0))
        }, uniquingKeysWith: { a, _ in a })
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
