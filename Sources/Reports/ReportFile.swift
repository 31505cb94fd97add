import ContractCore
import Foundation

/// Writes report files, creating their folder; a failure names the file.
public enum ReportFile {
    public static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw ReportWriteError(path: path, reason: error.localizedDescription)
        }
    }

    public static func writeJSON(_ value: JSONValue, to path: String) throws {
        try write(JSONWriter.pretty(value) + "\n", to: path)
    }
}

public struct ReportWriteError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot write \(path): \(reason)" }
}
