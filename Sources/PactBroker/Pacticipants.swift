import ContractCore
import Foundation

/// A consumer version's pacts to publish (`pb:publish-contracts`).
package struct ContractPublication: Sendable {
    package var consumer: String
    package var version: String
    package var branch: String?
    package var tags: [String] = []
    package var buildURL: String?
    /// Each pact: its provider and its JSON text.
    package var pacts: [(provider: String, content: [UInt8])]

    package init(consumer: String, version: String, pacts: [(provider: String, content: [UInt8])]) {
        self.consumer = consumer
        self.version = version
        self.pacts = pacts
    }
}

/// Where a version went: deployed (replacing what ran there) or released (alongside others).
package enum DeploymentKind: String, Sendable {
    case deployment, release

    var relation: String { self == .deployment ? "pb:record-deployment" : "pb:record-release" }
}

extension BrokerClient {
    /// Publishes the pacts; the broker's notices.
    package func publish(_ publication: ContractPublication) async throws(BrokerError) -> [String] {
        let url = try link("pb:publish-contracts", in: try await index(), what: "publishing contracts")
        var fields: [(String, JSONValue)] = [
            ("pacticipantName", .string(publication.consumer)),
            ("pacticipantVersionNumber", .string(publication.version)),
            ("contracts", .array(publication.pacts.map { pact in
                .object(JSONObject([("consumerName", .string(publication.consumer)), ("providerName", .string(pact.provider)),
                                    ("specification", .string("pact")), ("contentType", .string("application/json")),
                                    ("content", .string(Data(pact.content).base64EncodedString()))]))
            })),
        ]
        if let branch = publication.branch { fields.append(("branch", .string(branch))) }
        if !publication.tags.isEmpty { fields.append(("tags", .array(publication.tags.map { .string($0) }))) }
        if let buildURL = publication.buildURL { fields.append(("buildUrl", .string(buildURL))) }
        let answer = try await send("POST", url, body: .object(JSONObject(fields)), what: "publishing contracts", retrying: true)
        let notices = (answer["notices"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }
        return notices.isEmpty ? (answer["logs"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue } : notices
    }

    /// Records that `version` of `pacticipant` was deployed to (or released in) `environment`,
    /// through the version's `pb:record-deployment` (or `pb:record-release`) link for that environment.
    package func record(_ kind: DeploymentKind, pacticipant: String, version: String, environment: String,
                        applicationInstance: String? = nil) async throws(BrokerError) {
        let what = "recording the \(kind.rawValue) of \(pacticipant) \(version) to \(environment)"
        let versionURL = try link("pb:pacticipant-version", in: try await index(), ["pacticipant": pacticipant, "version": version], what: what)
        let document = try await get(versionURL, what: what)
        let links = document["_links"]?[kind.relation]?.arrayValue ?? []
        guard let href = links.first(where: { $0["name"]?.stringValue == environment })?["href"]?.stringValue else {
            let known = links.compactMap { $0["name"]?.stringValue }
            throw BrokerError("\(what): the broker has no environment '\(environment)'" + (known.isEmpty ? "" : " (known: \(known.joined(separator: ", ")))"))
        }
        var body: [(String, JSONValue)] = []
        if let applicationInstance { body.append(("applicationInstance", .string(applicationInstance))) }
        _ = try await send("POST", href, body: .object(JSONObject(body)), what: what, retrying: true)
    }
}
