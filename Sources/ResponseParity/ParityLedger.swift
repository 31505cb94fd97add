import ContractCore

/// What parity found per endpoint over a run, learned as Diffy learned it: each request answered
/// twice by the baseline (primary, secondary) and once by the candidate; a path where the
/// primary and the secondary differ is noise (timestamps, request ids) for that endpoint, and
/// only candidate differences outside the noise count. Memory grows with endpoints, paths and
/// the distinct sets of differing paths, never with requests.
package struct ParityLedger: Sendable {
    /// The most endpoints, paths per endpoint and difference sets per endpoint kept apart.
    package static let maximumEndpoints = 500
    package static let maximumPaths = 500
    package static let maximumSignatures = 1_000

    struct Endpoint: Sendable {
        var requests = 0
        /// Requests where a side gave no answer (counted, never compared).
        var failed = 0
        var noise: Set<String> = []
        /// Candidate-vs-primary difference paths, as a sorted set → how many requests had exactly it.
        var signatures: [[String]: Int] = [:]
        /// Per differing path: how many requests differed there, and the first pair seen.
        var paths: [String: (count: Int, example: JSONDifference)] = [:]
    }

    private(set) var endpoints: [String: Endpoint] = [:]
    /// Requests of endpoints past `maximumEndpoints`, counted but not compared.
    package private(set) var overflow = 0

    package init() {}

    /// One request's three answers, compared: the primary against the secondary (noise) and
    /// against the candidate.
    package mutating func record(endpoint pattern: String, noise: [JSONDifference], candidate: [JSONDifference]) {
        guard endpoints[pattern] != nil || endpoints.count < Self.maximumEndpoints else {
            overflow += 1
            return
        }
        var endpoint = endpoints[pattern] ?? Endpoint()
        endpoint.requests += 1
        for difference in noise where endpoint.noise.count < Self.maximumPaths { endpoint.noise.insert(difference.path) }
        var signature: [String] = []
        for difference in candidate {
            if let seen = endpoint.paths[difference.path] {
                endpoint.paths[difference.path] = (seen.count + 1, seen.example)
            } else if endpoint.paths.count < Self.maximumPaths {
                endpoint.paths[difference.path] = (1, difference)
            }
            signature.append(difference.path)
        }
        signature = Array(Set(signature)).sorted()
        if endpoint.signatures[signature] != nil || endpoint.signatures.count < Self.maximumSignatures {
            endpoint.signatures[signature, default: 0] += 1
        } else {
            // Past the limit, a request's set is kept as its first path: still counted.
            endpoint.signatures[Array(signature.prefix(1)), default: 0] += 1
        }
        endpoints[pattern] = endpoint
    }

    /// A request one side did not answer (refused, timed out, too large): counted, not compared.
    package mutating func failed(endpoint pattern: String) {
        guard endpoints[pattern] != nil || endpoints.count < Self.maximumEndpoints else {
            overflow += 1
            return
        }
        endpoints[pattern, default: Endpoint()].failed += 1
    }

    /// The findings: per endpoint, the requests whose candidate answer differs outside the noise.
    package func report(threshold: Double) -> ParityReport {
        let results = endpoints.keys.sorted().map { pattern -> ParityReport.EndpointResult in
            let endpoint = endpoints[pattern]!
            let differing = endpoint.signatures.filter { $0.key.contains { !endpoint.noise.contains($0) } }.values.reduce(0, +)
            let differences = endpoint.paths.filter { !endpoint.noise.contains($0.key) }
                .sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }
                .prefix(20)
                .map { ParityReport.PathDifference(path: $0.key, requests: $0.value.count, baseline: $0.value.example.baseline.map(JSONWriter.compact),
                                                    candidate: $0.value.example.candidate.map(JSONWriter.compact)) }
            return ParityReport.EndpointResult(pattern: pattern, requests: endpoint.requests, failed: endpoint.failed, differing: differing,
                                               differences: Array(differences), noise: endpoint.noise.sorted())
        }
        return ParityReport(threshold: threshold, endpoints: results, uncompared: overflow)
    }
}
