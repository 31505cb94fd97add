import Foundation

/// How to verify a provider.
public struct VerifyOptions: Sendable {
    public var providerBaseURL: String?
    public var stateChangeURL: String?
    /// Also call the state-change URL with `"action": "teardown"` after each interaction.
    public var stateChangeTeardown = false
    /// Headers added to every request (authentication), replacing the pact's own.
    public var headers: [(name: String, value: String)] = []
    /// Headers added to each request that does not carry them itself (a credential
    /// service-to-service pacts leave out, while others carry their own).
    public var defaultHeaders: [(name: String, value: String)] = []
    /// Headers sent with each state change (a credential the state-change endpoint needs).
    public var stateChangeHeaders: [(name: String, value: String)] = []
    /// Seconds a request may take.
    public var timeout: Double = 30
    /// The largest response body read from the provider (10 MB by default).
    public var maxBody = 10 * 1024 * 1024
    /// The Pact way for messages: POST `{description, providerStates}` here, get the message back.
    public var messagesURL: String?
    /// Tollgate's way for messages: consume the contract's topic on these brokers.
    public var kafkaBrokers: String?
    /// Seconds to wait for an event on the broker.
    public var messageTimeout: Double = 10
    /// Seconds to wait for the provider to come up before giving up.
    public var waitFor: Double = 0

    public var provider: String?
    public var consumer: String?
    public var descriptionFilter: String?
    public var stateFilter: String?
    public var noStateOnly = false

    public init() {}

    /// `512`, `512K`, `10M`, `1G` as bytes (`--max-body`); nil when malformed, zero or above 4G.
    public static func byteCount(_ text: String) -> Int? {
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
public struct VerifyError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
