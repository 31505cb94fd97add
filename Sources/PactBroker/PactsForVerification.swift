package import ContractCore
import Foundation

/// A pact the broker selected for verification, with what the broker said about it.
package struct BrokerPact: Sendable {
    package var pact: Pact
    /// The pact's URL on the broker.
    package let url: String
    /// The broker's short description ("order-service version 2").
    package let label: String
    /// Its failures are shown and reported but do not fail the run.
    package let pending: Bool
    /// A work-in-progress pact (no selector chose it): always pending.
    package let wip: Bool
    /// What the broker wants shown before verification (why it was selected, whether it is pending).
    package let notices: [String]
    /// Where this pact's verification results go (`pb:publish-verification-results`), if the broker takes them.
    package let publishURL: String?
}

/// What the provider asks the broker for.
package struct VerificationRequest: Sendable {
    package var provider: String
    package var selectors: [JSONValue] = ConsumerVersionSelectors.recommended
    /// The provider's branch: decides pending status and `matchingBranch` selectors.
    package var providerBranch: String?
    package var includePending = false
    /// `includeWipPactsSince`, a date (`2026-01-01`); needs `includePending`.
    package var wipSince: String?

    package init(provider: String) { self.provider = provider }

    var body: JSONValue {
        var fields: [(String, JSONValue)] = [("consumerVersionSelectors", .array(selectors)), ("includePendingStatus", .bool(includePending))]
        if let providerBranch { fields.append(("providerVersionBranch", .string(providerBranch))) }
        if let wipSince { fields.append(("includeWipPactsSince", .string(wipSince))) }
        return .object(JSONObject(fields))
    }
}

extension BrokerClient {
    /// The pacts the broker selects for `request.provider` (`pb:provider-pacts-for-verification`),
    /// each fetched; a pending or WIP pact's interactions are marked pending.
    package func pactsForVerification(_ request: VerificationRequest) async throws(BrokerError) -> [BrokerPact] {
        let index = try await index()
        let relation = "pb:provider-pacts-for-verification"
        let url = try link(relation, in: index, ["provider": request.provider], what: "pacts for verification")
        let answer = try await send("POST", url, body: request.body, what: "pacts for verification (\(relation))", retrying: true)
        guard let listed = answer["_embedded"]?["pacts"]?.arrayValue else {
            throw BrokerError("pacts for verification: the broker's answer has no _embedded.pacts")
        }
        var pacts: [BrokerPact] = []
        for (n, entry) in listed.enumerated() {
            guard let href = entry["_links"]?["self"]?["href"]?.stringValue else {
                throw BrokerError("pacts for verification: _embedded.pacts[\(n)] has no _links.self.href")
            }
            let properties = entry["verificationProperties"]
            let pending = properties?["pending"]?.boolValue ?? false
            let wip = properties?["wip"]?.boolValue ?? false
            let notices = (properties?["notices"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }
            let label = entry["shortDescription"]?.stringValue ?? entry["_links"]?["self"]?["name"]?.stringValue ?? href
            let document = try await get(href, what: "the pact \(href)")
            var pact: Pact
            do { pact = try Pact(json: Array(JSONWriter.compact(document).utf8), file: href) } catch {
                throw BrokerError("the pact \(href) cannot be read: \(error)")
            }
            guard pact.provider == request.provider else {
                throw BrokerError("the pact \(href) is for the provider '\(pact.provider)', not '\(request.provider)'")
            }
            if pending || wip {
                for i in pact.interactions.indices { pact.interactions[i].pending = true }
            }
            let publish = document["_links"]?["pb:publish-verification-results"]?["href"]?.stringValue
            pacts.append(BrokerPact(pact: pact, url: href, label: label, pending: pending || wip, wip: wip, notices: notices, publishURL: publish))
        }
        return pacts
    }
}
