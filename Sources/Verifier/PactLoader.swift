package import ContractCore
import Foundation
import Transport
package import TransportHTTP

/// A pact and where it came from.
package struct LoadedPact: Sendable {
    package let pact: Pact
    /// The file path or URL, for messages and reports.
    package let source: String

    package init(pact: Pact, source: String) {
        self.pact = pact
        self.source = source
    }
}

/// Reads pacts from files, directories (every `*.json` inside, sorted) and URLs.
package struct PactLoader: Sendable {
    /// `Authorization` for URLs: a bearer token or `user:password` for basic auth.
    package var token: String?
    package var basicAuth: String?

    package init(token: String? = nil, basicAuth: String? = nil) {
        self.token = token
        self.basicAuth = basicAuth
    }

    /// Loads every source; the first unreadable or invalid pact is an error naming it.
    package func load(_ sources: [String]) async throws -> [LoadedPact] {
        let pacts = try await read(sources)
        for loaded in pacts {
            try Self.checkPaths(loaded)
            try Self.checkHeaders(loaded)
        }
        return pacts
    }

    /// No request header the verifier would send holds a CR, LF or NUL: it would end the header
    /// and add others on the wire (`X-Injected: yes`).
    static func checkHeaders(_ loaded: LoadedPact) throws {
        for (n, interaction) in loaded.pact.interactions.enumerated() {
            guard case .http(let request, _) = interaction.kind else { continue }
            for (name, value) in request.headers where Headers.breaksLine(name) || Headers.breaksLine(value) {
                throw PactError(file: loaded.source, path: "$.interactions[\(n)].request.headers['\(name.debugDescription.dropFirst().dropLast())']",
                                reason: "a header name or value must not contain CR, LF or NUL (interaction '\(interaction.description)')")
            }
        }
    }

    /// Every HTTP request path starts with `/`: a request goes only to the provider it is
    /// verified against (`@host/…` or `host/…` appended to a base URL could name another host).
    static func checkPaths(_ loaded: LoadedPact) throws {
        for (n, interaction) in loaded.pact.interactions.enumerated() {
            guard case .http(let request, _) = interaction.kind, !request.path.hasPrefix("/") else { continue }
            throw PactError(file: loaded.source, path: "$.interactions[\(n)].request.path",
                            reason: "the path '\(request.path.prefix(80))' must start with '/' (interaction '\(interaction.description)')")
        }
    }

    private func read(_ sources: [String]) async throws -> [LoadedPact] {
        var pacts: [LoadedPact] = []
        for source in sources {
            if source.hasPrefix("http://") || source.hasPrefix("https://") {
                pacts.append(try await loadURL(source))
                continue
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
                throw PactError(file: source, path: "$", reason: "no such file or directory")
            }
            if isDirectory.boolValue {
                let files = try FileManager.default.contentsOfDirectory(atPath: source).filter { $0.hasSuffix(".json") }.sorted()
                if files.isEmpty { throw PactError(file: source, path: "$", reason: "the directory holds no .json pact files") }
                for file in files {
                    let path = (source as NSString).appendingPathComponent(file)
                    pacts.append(LoadedPact(pact: try Pact(contentsOf: URL(fileURLWithPath: path)), source: path))
                }
            } else {
                pacts.append(LoadedPact(pact: try Pact(contentsOf: URL(fileURLWithPath: source)), source: source))
            }
        }
        return pacts
    }

    private func loadURL(_ url: String) async throws -> LoadedPact {
        var headers: [(name: String, value: String)] = [("Accept", "application/hal+json, application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if let basicAuth { headers.append(("Authorization", "Basic \(Data(basicAuth.utf8).base64EncodedString())")) }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClientPool.shared.send(HTTPClientRequest(url: url, headers: headers, timeout: 30))
        } catch {
            throw PactError(file: Redaction.url(url), path: "$", reason: "cannot fetch the pact: \(Redaction.scrub("\(error)", url: url))")
        }
        let shown = Redaction.url(url)
        guard response.status == 200 else { throw PactError(file: shown, path: "$", reason: "fetching the pact answered HTTP \(response.status)") }
        return LoadedPact(pact: try Pact(json: response.body, file: shown), source: shown)
    }
}

extension HTTPClientPool {
    /// One client for the command line's own requests.
    package static let shared = HTTPClientPool()
}
