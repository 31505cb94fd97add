package import ContractCore
import Foundation
import Steps
import Transport
import TransportHTTP

/// A rollout percentage set and read back over HTTP: a feature-flag service (LaunchDarkly's flag
/// PATCH, Unleash's strategy update), a gateway's canary weight (Kong's `config.percentage`), or
/// any API that takes a number. `${percent}` in the URL, header values and body is the
/// percentage times `scale` (LaunchDarkly's weights are thousandths: scale 1000).
package final class HTTPRollout: RolloutControl {
    package struct Spec: Sendable {
        package var setMethod: String
        package var setURL: String
        package var setHeaders: [(name: String, value: String)]
        /// The body with `${percent}` unfilled; empty for none.
        package var setBody: String
        package var getURL: String
        package var getHeaders: [(name: String, value: String)]
        /// Where the current value is in the JSON the read-back answers.
        package var getPath: PathExpression
        /// Value sent and read = percent × scale.
        package var scale: Double
    }

    package let spec: Spec
    private let pool = HTTPClientPool()

    package init(_ spec: Spec) { self.spec = spec }

    package var renewEvery: Double { 3600 }

    /// What must never appear in a message: the header values sent (credentials) and the URLs' credentials.
    private var secrets: [String] {
        (spec.setHeaders + spec.getHeaders).map(\.value) + Redaction.secrets(in: spec.setURL) + Redaction.secrets(in: spec.getURL)
    }

    package func current() async throws -> Int {
        let response: HTTPClientResponse
        do { response = try await pool.send(HTTPClientRequest(url: spec.getURL, headers: spec.getHeaders, timeout: 10, maxResponseBytes: 4 << 20)) } catch {
            throw GateSetupError("rollout: cannot read \(Redaction.url(spec.getURL)): \(Redaction.text("\(error)", secrets: secrets))")
        }
        guard (200..<300).contains(response.status) else {
            throw GateSetupError("rollout: GET \(Redaction.url(spec.getURL)) answered \(response.status)")
        }
        guard let document = try? JSONParser.parse(response.body) else {
            throw GateSetupError("rollout: GET \(Redaction.url(spec.getURL)) answered no JSON")
        }
        guard let found = JSONQuery.first(spec.getPath, in: document) else {
            throw GateSetupError("rollout: \(spec.getPath) is not in what GET \(Redaction.url(spec.getURL)) answered")
        }
        let number: Double?
        switch found {
        case .integer(let value): number = Double(value)
        case .decimal(let value): number = value
        case .string(let text): number = Double(text)
        default: number = nil
        }
        guard let number else { throw GateSetupError("rollout: \(spec.getPath) in GET \(Redaction.url(spec.getURL)) is not a number") }
        return try Self.percent(number, scale: spec.scale, source: "GET \(Redaction.url(spec.getURL)) \(spec.getPath)")
    }

    /// A value read back, as a whole percentage from 0 to 100.
    static func percent(_ value: Double, scale: Double, source: String) throws -> Int {
        let percent = value / scale
        guard percent.isFinite, (0...100).contains(percent.rounded()), abs(percent - percent.rounded()) < 0.001 else {
            throw GateSetupError("rollout: \(source) is \(QueryCheck.format(value)), not a whole percentage from 0 to 100\(scale == 1 ? "" : " times \(QueryCheck.format(scale))")")
        }
        return Int(percent.rounded())
    }

    package func set(_ percent: Int) async throws {
        let request = fill(percent)
        let response: HTTPClientResponse
        do { response = try await pool.send(request) } catch {
            throw GateSetupError("rollout: cannot reach \(Redaction.url(request.url)): \(Redaction.text("\(error)", secrets: secrets))")
        }
        guard (200..<300).contains(response.status) else {
            throw GateSetupError("rollout: \(request.method) \(Redaction.url(request.url)) answered \(response.status): \(Redaction.text(String(decoding: response.body.prefix(200), as: UTF8.self), secrets: secrets))")
        }
    }

    /// Nothing to take: a flag service has no lease.
    package func acquire(holder: String) async throws {}
    package func renew() async -> Bool { true }
    package func release() async {}

    package func restoreNow(_ percent: Int) { _ = try? HTTPClient().send(fill(percent, timeout: 3)) }

    private func fill(_ percent: Int, timeout: Double = 10) -> HTTPClientRequest {
        let value = QueryCheck.format(Double(percent) * spec.scale)
        func filled(_ text: String) -> String { text.replacingOccurrences(of: "${percent}", with: value) }
        return HTTPClientRequest(method: spec.setMethod, url: filled(spec.setURL), headers: spec.setHeaders.map { ($0.name, filled($0.value)) },
                                 body: Array(filled(spec.setBody).utf8), timeout: timeout)
    }
}
