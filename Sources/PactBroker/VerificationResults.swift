import ContractCore

/// One interaction's outcome as the broker records it.
package struct InteractionVerdict: Sendable {
    package var description: String
    package var success: Bool
    /// What differed (empty when it passed).
    package var mismatches: [String]

    package init(description: String, success: Bool, mismatches: [String]) {
        self.description = description
        self.success = success
        self.mismatches = mismatches
    }
}

/// Who verified, for the broker's `verifiedBy`.
package struct ProviderRelease: Sendable {
    package var version: String
    package var branch: String?
    package var buildURL: String?
    package var tollgateVersion: String

    package init(version: String, branch: String? = nil, buildURL: String? = nil, tollgateVersion: String) {
        self.version = version
        self.branch = branch
        self.buildURL = buildURL
        self.tollgateVersion = tollgateVersion
    }
}

extension BrokerClient {
    /// Records the provider version on its branch (`pb:pacticipant-branch-version`), once before publishing.
    package func recordBranch(provider: String, release: ProviderRelease) async throws(BrokerError) {
        guard let branch = release.branch else { return }
        let url = try link("pb:pacticipant-branch-version", in: try await index(), ["pacticipant": provider, "branch": branch, "version": release.version],
                           what: "the provider version's branch")
        _ = try await send("PUT", url, body: .object(JSONObject()), what: "the provider version's branch", retrying: true)
    }

    /// Publishes one pact's results to its `pb:publish-verification-results`.
    package func publishResults(for pact: BrokerPact, verdicts: [InteractionVerdict], release: ProviderRelease) async throws(BrokerError) {
        guard let url = pact.publishURL else {
            throw BrokerError("publishing results: the pact \(pact.url) has no 'pb:publish-verification-results' relation")
        }
        let results: [JSONValue] = verdicts.map { verdict in
            var fields: [(String, JSONValue)] = [("interactionDescription", .string(verdict.description)), ("success", .bool(verdict.success))]
            if !verdict.success {
                fields.append(("mismatches", .array(verdict.mismatches.map { .object(JSONObject([("description", .string($0))])) })))
            }
            return .object(JSONObject(fields))
        }
        var body: [(String, JSONValue)] = [
            ("success", .bool(verdicts.allSatisfy(\.success))),
            ("providerApplicationVersion", .string(release.version)),
            ("testResults", .array(results)),
            ("verifiedBy", .object(JSONObject([("implementation", .string("Tollgate")), ("version", .string(release.tollgateVersion))]))),
        ]
        if let buildURL = release.buildURL { body.append(("buildUrl", .string(buildURL))) }
        _ = try await send("POST", url, body: .object(JSONObject(body)), what: "publishing results for \(pact.pact.consumer)", retrying: true)
    }
}
