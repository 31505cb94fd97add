import ContractCore
import Foundation
import Verifier

/// Every pact verified against its provider, as the demo and the gate do: each provider at a
/// base URL (pacts of providers without one are skipped), provider states at
/// `BASE/_pact/provider-states`, calls between services with a credential, events read from
/// the broker.
public enum ProviderContracts {
    /// - Parameters:
    ///   - providerURL: the base URL of a provider, by name; nil skips its pacts (`skipped` says which).
    ///   - credential: a token service-to-service pacts carry (a Pact "custom header").
    public static func verify(_ pacts: [LoadedPact], providerURL: (String) -> String?, credential: String?, kafkaBrokers: String?,
                       progress: @escaping @Sendable (InteractionResult) -> Void, skipped: (String) -> Void = { _ in }) async throws -> VerificationReport {
        var combined = VerificationReport()
        let started = Date()
        let pairs = Set(pacts.map { [$0.pact.provider, $0.pact.consumer] }).sorted { $0.lexicographicallyPrecedes($1) }
        for pair in pairs {
            let (provider, consumer) = (pair[0], pair[1])
            guard let url = providerURL(provider) else {
                skipped(provider)
                continue
            }
            var options = VerifyOptions()
            options.provider = provider
            options.consumer = consumer
            if let credential, consumer.hasSuffix("-service"), provider != "payment-provider" { options.headers = [("Authorization", "Bearer \(credential)")] }
            options.providerBaseURL = url
            // Provider states change data: the state-change endpoint needs a service or admin token.
            options.stateChangeURL = url + "/_pact/provider-states" + (credential.map { "?token=" + $0 } ?? "")
            options.kafkaBrokers = kafkaBrokers
            combined.results += try await ProviderVerifier(options: options).verify(pacts, progress: progress).results
        }
        combined.startedAt = started
        combined.duration = Date().timeIntervalSince(started)
        return combined
    }

    /// The HTTP interactions of `provider`'s pacts checked against its OpenAPI document (a file or
    /// URL), nothing replayed. An unreadable document, or no interaction to check, is an error.
    public static func check(_ pacts: [LoadedPact], provider: String, against source: String,
                             progress: @escaping @Sendable (InteractionResult) -> Void) async throws -> VerificationReport {
        let document = try await OpenAPIVerification.loadDocument(source)
        var options = VerifyOptions()
        options.provider = provider
        return try OpenAPIVerification.check(pacts, against: document, options: options, progress: progress)
    }
}
