import Foundation

/// How a stub serves its pacts.
package struct StubConfiguration: Sendable {
    package var host = "127.0.0.1"
    /// 0 picks a free port.
    package var port = 8080
    /// Answer CORS preflights and allow any origin.
    package var cors = false
    /// Only interactions with a provider state matching this regular expression.
    package var stateFilter: String?
    /// A request header whose value (a regular expression) picks interactions by provider state.
    package var stateHeader: String?
    /// The status of a request no interaction matches.
    package var unmatchedStatus = 500
    /// The largest request body read; a larger one is answered 413.
    package var maxBodyBytes = 16 * 1024 * 1024
    /// Reload pact files when they change.
    package var watch = false
    /// Where one line per request goes; nil builds no line at all.
    package var log: (@Sendable (String) -> Void)?

    package init() {}
}
