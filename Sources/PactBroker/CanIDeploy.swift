import ContractCore
import Foundation

/// One integration in the answer: a consumer version and a provider version, and whether the
/// provider version verified the consumer version's pact.
package struct MatrixRow: Sendable, Equatable {
    package enum Status: String, Sendable { case verified, failed, unknown }

    package var consumer: String
    package var consumerVersion: String
    package var provider: String
    /// Nil when the environment has no version of the provider.
    package var providerVersion: String?
    package var status: Status

    package init(consumer: String, consumerVersion: String, provider: String, providerVersion: String?, status: Status) {
        self.consumer = consumer
        self.consumerVersion = consumerVersion
        self.provider = provider
        self.providerVersion = providerVersion
        self.status = status
    }

    /// Why the row is what it is, in a user's words.
    package var reason: String {
        switch status {
        case .verified: return "verified"
        case .failed: return "the verification failed"
        case .unknown where providerVersion == nil: return "no version of \(provider) is in the environment"
        case .unknown: return "no verification of this pact by this provider version"
        }
    }

    /// Reads the broker's matrix rows (`matrix[]`).
    static func rows(_ matrix: JSONValue) throws(BrokerError) -> [MatrixRow] {
        guard let list = matrix["matrix"]?.arrayValue else { throw BrokerError("can-i-deploy: the broker's matrix has no 'matrix' list") }
        return try list.enumerated().map { (n, row) throws(BrokerError) in
            guard let consumer = row["consumer"]?["name"]?.stringValue, let consumerVersion = row["consumer"]?["version"]?["number"]?.stringValue,
                  let provider = row["provider"]?["name"]?.stringValue else {
                throw BrokerError("can-i-deploy: matrix[\(n)] lacks consumer.name, consumer.version.number or provider.name")
            }
            let providerVersion = row["provider"]?["version"]?["number"]?.stringValue
            let status: Status
            switch row["verificationResult"]?["success"]?.boolValue {
            case true?: status = .verified
            case false?: status = .failed
            case nil: status = .unknown
            }
            return MatrixRow(consumer: consumer, consumerVersion: consumerVersion, provider: provider, providerVersion: providerVersion, status: status)
        }
    }
}

/// The answer for a set of versions deployed together.
package struct DeploymentAnswer: Sendable {
    package var rows: [MatrixRow]
    /// What the broker could not find (a version it does not know).
    package var problems: [String]

    package var failed: Int { rows.filter { $0.status == .failed }.count }
    package var unknown: Int { rows.filter { $0.status == .unknown }.count + problems.count }
    package var deployable: Bool { failed == 0 && unknown == 0 }

    /// The answer for `set` from what the broker said about each member against the environment
    /// (`environmentRows`) and about the members against each other (`setRows`): a member's rows
    /// against another member's environment version are replaced by its rows against the version
    /// shipped with it, which is what will run together.
    package static func combine(set: [(pacticipant: String, version: String)], environmentRows: [MatrixRow], setRows: [MatrixRow],
                                problems: [String] = []) -> DeploymentAnswer {
        let chosen = Dictionary(set.map { ($0.pacticipant, $0.version) }, uniquingKeysWith: { a, _ in a })
        func isMember(_ name: String, _ version: String?) -> Bool { version != nil && chosen[name] == version }
        var rows: [MatrixRow] = []
        // A row whose two sides are both in the set is answered by the set's own rows.
        for row in environmentRows where chosen[row.consumer] == nil || chosen[row.provider] == nil { rows.append(row) }
        for row in setRows where isMember(row.consumer, row.consumerVersion) && isMember(row.provider, row.providerVersion) { rows.append(row) }
        var seen: [MatrixRow] = []
        for row in rows where !seen.contains(row) { seen.append(row) }
        return DeploymentAnswer(rows: seen.sorted { ($0.consumer, $0.provider, $0.providerVersion ?? "") < ($1.consumer, $1.provider, $1.providerVersion ?? "") },
                                problems: problems)
    }
}

extension BrokerClient {
    /// Can `set` (pacticipants and versions shipped together) go to `environment`? Each member is
    /// asked against what the environment runs; the members are asked against each other.
    package func canIDeploy(_ set: [(pacticipant: String, version: String)], to environment: String) async throws(BrokerError) -> DeploymentAnswer {
        let index = try await index()
        let matrix = (try? link("pb:matrix", in: index, what: "can-i-deploy")) ?? baseURL + "/matrix"
        func query(_ members: [(pacticipant: String, version: String)], latestBy: String, environment: String?) -> String {
            var parts = members.flatMap { ["q[][pacticipant]=\(Self.pathComponent($0.pacticipant))", "q[][version]=\(Self.pathComponent($0.version))"] }
            parts.append("latestby=\(latestBy)")
            if let environment { parts.append("environment=\(Self.pathComponent(environment))") }
            return matrix + "?" + parts.joined(separator: "&").replacingOccurrences(of: "[", with: "%5B").replacingOccurrences(of: "]", with: "%5D")
        }
        var environmentRows: [MatrixRow] = []
        var problems: [String] = []
        for member in set {
            let answer = try await get(query([member], latestBy: "cvp", environment: environment), what: "can-i-deploy \(member.pacticipant) \(member.version)")
            environmentRows += try MatrixRow.rows(answer)
            if let reason = answer["summary"]?["reason"]?.stringValue, reason.hasPrefix("No pacticipant") || reason.contains("not found") {
                problems.append(reason)
            }
        }
        var setRows: [MatrixRow] = []
        if set.count > 1 {
            setRows = try MatrixRow.rows(try await get(query(set, latestBy: "cvpv", environment: nil), what: "can-i-deploy for the set"))
        }
        return DeploymentAnswer.combine(set: set, environmentRows: environmentRows, setRows: setRows, problems: problems)
    }
}
