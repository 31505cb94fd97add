import ContractCore
import Foundation

/// How to verify a provider.
package struct VerifyOptions: Sendable {
    package var providerBaseURL: String?
    package var stateChangeURL: String?
    /// Also call the state-change URL with `"action": "teardown"` after each interaction.
    package var stateChangeTeardown = false
    /// Headers added to every request (authentication), replacing the pact's own.
    package var headers: [(name: String, value: String)] = []
    /// Headers added to each request that does not carry them itself (a credential
    /// service-to-service pacts leave out, while others carry their own).
    package var defaultHeaders: [(name: String, value: String)] = []
    /// Headers sent with each state change (a credential the state-change endpoint needs).
    package var stateChangeHeaders: [(name: String, value: String)] = []
    /// Seconds a request may take.
    package var timeout: Double = 30
    /// The largest response body read from the provider (10 MB by default).
    package var maxBody = 10 * 1024 * 1024
    /// The Pact way for messages: POST `{description, providerStates}` here, get the message back.
    package var messagesURL: String?
    /// Tollgate's way for messages: consume the contract's topic on these brokers.
    package var kafkaBrokers: String?
    /// Seconds to wait for an event on the broker.
    package var messageTimeout: Double = 10
    /// Seconds to wait for the provider to come up before giving up.
    package var waitFor: Double = 0

    package var provider: String?
    package var consumer: String?
    package var descriptionFilter: String?
    package var stateFilter: String?
    package var noStateOnly = false
    /// `--openapi --strict`: what the document leaves open for a consumer (a field it needs that the
    /// document does not describe or marks optional, a parameter it sends undocumented) fails
    /// the check instead of warning.
    package var strict = false

    package init() {}

    /// `512`, `512K`, `10M`, `1G` as bytes (`--max-body`); nil when malformed, zero or above 4G.
    /// `K=V` flags (`--header`, `--state-change-header`) as header pairs.
    package static func headerPairs(_ given: [String]) -> [(name: String, value: String)] {
        given.map { header in
            let parts = header.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
    }

    /// What is wrong with `K=V` header flags given as `flag`: no `=`, or a line break (header injection).
    package static func headerProblems(_ given: [String], flag: String) -> [String] {
        given.compactMap { header in
            if !header.contains("=") { return "\(flag) '\(header)' must be K=V" }
            if Headers.breaksLine(header) { return "\(flag) \(header.debugDescription) must not contain CR, LF or NUL" }
            return nil
        }
    }

    package static func byteCount(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = Substring(text.uppercased())
        var unit = 1
        if let last = digits.last, let scale = units[last] {
            unit = scale
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.count <= 10, let value = Int(digits), value > 0 else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: unit)
        return overflow || bytes > 4 << 30 ? nil : bytes
    }
}

/// A run that could not be done at all (as opposed to a failed verification).
package struct VerifyError: Error, CustomStringConvertible, Sendable {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
