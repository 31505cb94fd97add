import Foundation
import Synchronization
import Testing

/// What the services a test starts log, kept with the test instead of printed: a green run's
/// output is the test runner's lines. The log is attached to the test (written out with
/// `swift test --attachments-path DIR`) and printed when the test's body throws.
public final class ServiceLog: Sendable {
    private let lines = Mutex<[String]>([])
    /// Lines kept at most (the last ones), so a chatty test cannot grow it without bound.
    static let limit = 5_000

    public init() {}

    /// Adds one line; safe from any thread.
    public func append(_ line: String) {
        lines.withLock { lines in
            if lines.count >= Self.limit { lines.removeFirst(lines.count - Self.limit + 1) }
            lines.append(line)
        }
    }

    public var text: String { lines.withLock { $0.joined(separator: "\n") } }
    public var isEmpty: Bool { lines.withLock { $0.isEmpty } }

    /// Runs `body`; attaches the log to the current test, and prints it when `body` throws.
    public func keep<T>(_ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            attach()
            return result
        } catch {
            attach()
            if !isEmpty { FileHandle.standardError.write(Data("--- services' log ---\n\(text)\n--- end of the services' log ---\n".utf8)) }
            throw error
        }
    }

    private func attach() {
        guard !isEmpty, Test.current != nil else { return }
        Attachment.record(text, named: "services.log")
    }
}
