import Foundation
package import Logging

/// Where a server's log lines go instead of the process's logging system: a test's buffer, so
/// a green run prints only the test runner's lines and a failing test can show what its
/// services said.
package struct LogDestination: Sendable {
    private let write: @Sendable (String) -> Void

    /// `write` gets one line per message, `LEVEL LABEL: message [metadata]`; it may be called
    /// from any thread.
    package init(_ write: @escaping @Sendable (String) -> Void) { self.write = write }

    /// A logger labelled `label` that writes here, at `LOG_LEVEL` (warning unless set).
    package func logger(_ label: String) -> Logger {
        let write = self.write
        var logger = Logger(label: label) { label in LineHandler(label: label, write: write) }
        logger.logLevel = LogDestination.level
        return logger
    }

    /// A logger labelled `label` writing to `destination`, or to the logging system without one.
    package static func logger(_ label: String, to destination: LogDestination?) -> Logger {
        var logger = destination?.logger(label) ?? Logger(label: label)
        logger.logLevel = level
        return logger
    }

    /// `LOG_LEVEL` from the environment, else warning.
    package static var level: Logger.Level {
        ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    }
}

/// Formats each message as one line for a `LogDestination`.
private struct LineHandler: LogHandler {
    let label: String
    let write: @Sendable (String) -> Void
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let fields = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        write("\(event.level) \(label): \(event.message)\(fields)")
    }
}
