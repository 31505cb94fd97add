import ContractCore
import Foundation
package import OpenAPICheck
import Transport
import TransportHTTP

/// Pacts checked against the provider's OpenAPI document instead of replayed against the
/// provider (bi-directional contract testing): nothing is called but the document's URL.
package enum OpenAPIVerification {
    /// Reads a document from a file or an http(s) URL; an unreadable one is an error naming the place.
    package static func loadDocument(_ source: String) async throws -> OpenAPIDocument {
        if source.hasPrefix("http://") || source.hasPrefix("https://") {
            let shown = Redaction.url(source)
            let response: HTTPClientResponse
            do {
                response = try await HTTPClientPool.shared.send(HTTPClientRequest(
                    url: source, headers: [("Accept", "application/json, application/yaml, application/vnd.oai.openapi")], timeout: 30))
            } catch {
                throw OpenAPIDocumentError(file: shown, place: "#", reason: "cannot fetch the document: \(Redaction.scrub("\(error)", url: source))")
            }
            guard response.status == 200 else { throw OpenAPIDocumentError(file: shown, place: "#", reason: "fetching the document answered HTTP \(response.status)") }
            return try OpenAPIDocument(bytes: response.body, source: shown)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw OpenAPIDocumentError(file: source, place: "#", reason: isDirectory.boolValue ? "a directory, not an OpenAPI document" : "no such file")
        }
        // The same limit a document fetched over HTTP has.
        let size = (try? FileManager.default.attributesOfItem(atPath: source)[.size] as? Int) ?? 0
        guard size <= HTTPClientRequest.defaultMaxResponseBytes else {
            throw OpenAPIDocumentError(file: source, place: "#", reason: "\(size >> 20) MB: larger than the \(HTTPClientRequest.defaultMaxResponseBytes >> 20) MB a document may have")
        }
        guard let data = FileManager.default.contents(atPath: source) else {
            throw OpenAPIDocumentError(file: source, place: "#", reason: "cannot read the file")
        }
        return try OpenAPIDocument(bytes: Array(data), source: source)
    }

    /// Checks every HTTP interaction the filters of `options` select (its `provider`, `consumer`,
    /// description and state filters) against `document`, calling `progress` after each.
    /// Message interactions are left out: an OpenAPI document describes HTTP. Nothing selected is an error.
    /// A document too costly to evaluate, or `stopped` turning true (looked at every few thousand
    /// schema steps: Ctrl-C answered within a second), ends the check with `OpenAPICheckStopped`,
    /// which carries the results so far.
    package static func check(_ pacts: [LoadedPact], against document: OpenAPIDocument, options: VerifyOptions,
                             stopped: @escaping () -> Bool = { Task.isCancelled },
                             progress: (InteractionResult) -> Void = { _ in }) throws -> VerificationReport {
        let started = Date()
        let selected = try ProviderVerifier.selection(pacts, options).filter { if case .http = $0.interaction.kind { return true } else { return false } }
        let providers = Set(selected.map(\.pact.pact.provider))
        if options.provider == nil, providers.count > 1 {
            throw VerifyError("the pacts are with \(providers.count) providers (\(providers.sorted().joined(separator: ", "))); "
                              + "say which one \(document.source) describes with --provider")
        }
        let compatibility = OpenAPICompatibility(document: document)
        var report = VerificationReport()
        for (loaded, index, interaction) in selected {
            let began = Date()
            let checked: InteractionCompatibility?
            do {
                checked = try compatibility.check(interaction, index: index, stopped: stopped)
            } catch {
                report.startedAt = started
                report.duration = Date().timeIntervalSince(started)
                throw OpenAPICheckStopped(reason: error, partial: report)
            }
            guard let found = checked else { continue }
            let errors = (options.strict ? found.problems : found.errors).map(mismatch)
            var result = InteractionResult(
                consumer: loaded.pact.consumer, provider: loaded.pact.provider, source: loaded.source, description: interaction.description,
                providerStates: interaction.providerStates.map(\.name), kind: "openapi", pending: interaction.pending,
                outcome: errors.isEmpty ? .passed : .failed(errors), duration: Date().timeIntervalSince(began),
                target: found.operation.map { "\($0) in \(document.source)" } ?? "\(Self.requestLine(interaction)) in \(document.source)")
            result.warnings = options.strict ? [] : found.warnings.map(mismatch)
            report.results.append(result)
            progress(result)
        }
        // A check of nothing must not pass: a typo in --provider or a filter would hide every problem.
        if report.results.isEmpty {
            throw VerifyError("nothing to check: no HTTP interaction of \(pacts.count) pact(s) matches the provider, consumer and filters")
        }
        report.startedAt = started
        report.duration = Date().timeIntervalSince(started)
        return report
    }

    /// Why the check ended early, and what it had checked by then (for the reports).
    package struct OpenAPICheckStopped: Error, CustomStringConvertible {
        package let reason: SchemaCheckStopped
        package let partial: VerificationReport
        package var description: String { reason.description }
    }

    static func mismatch(_ problem: CompatibilityProblem) -> Mismatch {
        let kind: Mismatch.Kind
        switch problem.part {
        case .method: kind = .method
        case .path: kind = .path
        case .query: kind = .query
        case .header: kind = .header
        case .body: kind = .body
        case .status: kind = .status
        }
        return Mismatch(kind: kind, path: problem.pactPath, expected: problem.expected, actual: problem.actual, message: problem.message,
                        documentPath: problem.documentPlace)
    }

    static func requestLine(_ interaction: Interaction) -> String {
        guard case .http(let request, _) = interaction.kind else { return interaction.description }
        return "\(request.method.uppercased()) \(request.path)"
    }
}
