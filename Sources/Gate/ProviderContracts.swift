import ContractCore
import Foundation
package import Verifier

/// Every pact verified against its provider, as the demo and the gate do: each provider as
/// the gate file describes it (base URL, state-change URL, headers; pacts of providers without
/// one are skipped), events read from the broker.
package enum ProviderContracts {
    /// - Parameters:
    ///   - providers: where and how each provider's pacts are replayed; providers not listed are skipped (`skipped` says which).
    ///   - credential: what `${credential}` in a provider's headers stands for (the credential the gate holds for the rollout).
    /// Providers with several implementations have each verified, their results named
    /// `provider (label)`; each is replayed at its `verification_url` when it has one.
    package static func verify(_ pacts: [LoadedPact], providers: [GateFile.Contracts.Provider], credential: String?, kafkaBrokers: String?,
                              progress: @escaping @Sendable (InteractionResult) -> Void, skipped: (String) -> Void = { _ in },
                              warned: (String) -> Void = { _ in }) async throws -> VerificationReport {
        var combined = VerificationReport()
        let started = Date()
        let pairs = Set(pacts.map { [$0.pact.provider, $0.pact.consumer] }).sorted { $0.lexicographicallyPrecedes($1) }
        func filled(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
            headers.map { ($0.name, $0.value.replacingOccurrences(of: "${credential}", with: credential ?? "")) }
        }
        for pair in pairs {
            let (provider, consumer) = (pair[0], pair[1])
            let implementations = providers.filter { $0.name == provider }
            guard !implementations.isEmpty else {
                skipped(provider)
                continue
            }
            for described in implementations {
                var options = VerifyOptions()
                options.provider = provider
                options.consumer = consumer
                options.providerBaseURL = described.replayURL
                options.defaultHeaders = filled(described.headers)
                options.stateChangeURL = described.stateChangeURL
                options.stateChangeHeaders = filled(described.stateChangeHeaders)
                options.kafkaBrokers = kafkaBrokers
                // Several implementations of one provider (the monolith and the new service) are reported apart.
                let label = implementations.count > 1 || described.label != nil ? described.label ?? described.replayURL : nil
                let relabel: @Sendable (InteractionResult) -> InteractionResult = { result in
                    var named = result
                    if let label { named.provider = "\(provider) (\(label))" }
                    return named
                }
                let verifier = ProviderVerifier(options: options)
                // Said once per provider: states its pacts name that nothing will set.
                if let warning = verifier.unsetStatesWarning(pacts) {
                    warned("\(label.map { "\(provider) (\($0))" } ?? provider) ← \(consumer): " + warning.replacingOccurrences(of: "no --state-change-url was given", with: "the gate file gives it no state_change_url"))
                }
                combined.results += try await verifier.verify(pacts, progress: { progress(relabel($0)) }).results.map(relabel)
            }
        }
        combined.startedAt = started
        combined.duration = Date().timeIntervalSince(started)
        return combined
    }

    /// The HTTP interactions of `provider`'s pacts checked against its OpenAPI document (a file or
    /// URL), nothing replayed. An unreadable document, or no interaction to check, is an error.
    package static func check(_ pacts: [LoadedPact], provider: String, against source: String, strict: Bool = false,
                             progress: @escaping @Sendable (InteractionResult) -> Void) async throws -> VerificationReport {
        let document = try await OpenAPIVerification.loadDocument(source)
        var options = VerifyOptions()
        options.provider = provider
        options.strict = strict
        return try OpenAPIVerification.check(pacts, against: document, options: options, progress: progress)
    }
}
