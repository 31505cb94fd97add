import ContractCore
import Foundation
import StubServer
import Testing
import Verifier

/// The verifier replays a consumer's pact against a provider: here the provider is a stub
/// served from a pact, so what it answers is known exactly.
@Suite struct ProviderVerifierTests {
    /// A v3 pact of `web` on `catalog`: one product, matched by type.
    static func pact(product body: String) -> String {
        #"""
        {"consumer": {"name": "web"}, "provider": {"name": "catalog"}, "metadata": {"pactSpecification": {"version": "3.0.0"}},
         "interactions": [{"description": "a product", "request": {"method": "GET", "path": "/api/v1/products/1"},
           "response": {"status": 200, "headers": {"Content-Type": "application/json"}, "body": \#(body),
             "matchingRules": {"body": {"$.name": {"matchers": [{"match": "type"}]}, "$.price": {"matchers": [{"match": "decimal"}]}}}}}]}
        """#
    }

    static func write(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("verifier-\(UUID()).json")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// Verifies the consumer's pact against a stub answering as `provider` says.
    static func verify(consumer: String, against provider: String) async throws -> VerificationReport {
        let loader = PactLoader()
        let expected = try await loader.load([try write(consumer)])
        let served = try await loader.load([try write(provider)])
        var configuration = StubConfiguration()
        configuration.port = 0
        let stub = try await StubServer.start(pacts: served.map { ($0.pact, $0.source) }, configuration: configuration)
        var options = VerifyOptions()
        options.providerBaseURL = stub.url
        // The stub answers in this process, on the pool every parallel test shares: on two busy
        // cores its first answer can take seconds. The verdicts are the point here, not the speed.
        options.waitFor = 60
        options.timeout = 60
        do {
            let report = try await ProviderVerifier(options: options).verify(expected)
            await stub.stop()
            return report
        } catch {
            await stub.stop()
            throw error
        }
    }

    /// Default headers (the gate's credential for service-to-service pacts) fill in only what a
    /// request leaves out: a pact that carries its own Authorization keeps it.
    @Test func defaultHeadersFillInWithoutReplacingThePactsOwn() async throws {
        func pact(_ interactions: String) -> String {
            #"{"consumer": {"name": "web"}, "provider": {"name": "api"}, "metadata": {"pactSpecification": {"version": "3.0.0"}}, "interactions": [\#(interactions)]}"#
        }
        let served = pact(#"""
            {"description": "a", "request": {"method": "GET", "path": "/a", "headers": {"Authorization": "Bearer service-token"}}, "response": {"status": 200}},
            {"description": "b", "request": {"method": "GET", "path": "/b", "headers": {"Authorization": "Bearer users-own"}}, "response": {"status": 200}}
            """#)
        let consumer = pact(#"""
            {"description": "a", "request": {"method": "GET", "path": "/a"}, "response": {"status": 200}},
            {"description": "b", "request": {"method": "GET", "path": "/b", "headers": {"Authorization": "Bearer users-own"}}, "response": {"status": 200}}
            """#)
        let loader = PactLoader()
        let expected = try await loader.load([try Self.write(consumer)])
        let provider = try await loader.load([try Self.write(served)])
        var configuration = StubConfiguration()
        configuration.port = 0
        let stub = try await StubServer.start(pacts: provider.map { ($0.pact, $0.source) }, configuration: configuration)
        defer { Task { await stub.stop() } }
        var options = VerifyOptions()
        options.providerBaseURL = stub.url
        options.waitFor = 60
        options.timeout = 60
        options.defaultHeaders = [("Authorization", "Bearer service-token")]
        let filled = try await ProviderVerifier(options: options).verify(expected)
        #expect(filled.results.map(\.outcome.isPassed) == [true, true], "\(filled.results.map(\.outcome))")
        // The same header as a replacing --header: the pact's own is lost, and b fails.
        options.defaultHeaders = []
        options.headers = [("Authorization", "Bearer service-token")]
        let replaced = try await ProviderVerifier(options: options).verify(expected)
        #expect(replaced.results.map(\.outcome.isPassed) == [true, false], "\(replaced.results.map(\.outcome))")
    }

    @Test func aProviderAnsweringAsThePactSaysPassesWithOtherValuesOfTheSameType() async throws {
        let report = try await Self.verify(consumer: Self.pact(product: #"{"id": 1, "name": "Phone", "price": 10.5}"#),
                                           against: Self.pact(product: #"{"id": 1, "name": "Laptop", "price": 999.99}"#))
        #expect(report.results.count == 1 && report.succeeded, "\(report.results)")
    }

    @Test func aProviderThatChangedItsAnswerFailsWithEveryMismatchLocated() async throws {
        let report = try await Self.verify(consumer: Self.pact(product: #"{"id": 1, "name": "Phone", "price": 10.5}"#),
                                           against: Self.pact(product: #"{"id": 2, "name": 7}"#))
        let failure = try #require(report.failures.first)
        guard case .failed(let mismatches) = failure.outcome else { Issue.record("\(failure.outcome)"); return }
        let paths = Set(mismatches.map(\.path))
        #expect(paths.contains { $0.hasSuffix("id") } && paths.contains { $0.hasSuffix("name") } && paths.contains { $0.hasSuffix("price") },
                "\(mismatches)")
        #expect(!report.succeeded && report.passed == 0)
    }

    @Test func anUnreachableProviderIsAnErrorNamingItNotAPass() async throws {
        let loader = PactLoader()
        let pacts = try await loader.load([try Self.write(Self.pact(product: #"{"id": 1, "name": "Phone", "price": 10.5}"#))])
        var options = VerifyOptions()
        options.providerBaseURL = "http://127.0.0.1:9"
        options.timeout = 5
        let error = await #expect(throws: (any Error).self) { try await ProviderVerifier(options: options).verify(pacts) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("http://127.0.0.1:9 is not reachable"))
    }
}
