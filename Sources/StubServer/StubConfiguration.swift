import Foundation

/// How a stub serves its pacts.
public struct StubConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 8080
    /// Answer CORS preflights and allow any origin.
    public var cors = false
    /// Only interactions with a provider state matching this regular expression.
    public var stateFilter: String?
    /// A request header whose value (a regular expression) picks interactions by provider state.
    public var stateHeader: String?
    /// The status of a request no interaction matches.
    public var unmatchedStatus = 500
    /// The largest request body read; a larger one is answered 413.
    public var maxBodyBytes = 16 * 1024 * 1024
    /// Reload pact files when they change.
    public var watch = false
    /// Where one line per request goes; nil builds no line at all.
    public var log: (@Sendable (String) -> Void)?

    public init() {}
}
