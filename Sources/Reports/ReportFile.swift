package import ContractCore
package import Foundation
import Transport

/// Writes report files, creating their folder; a failure names the file. A path that names a
/// device or a FIFO (`--html /dev/null`) is written through, never replaced (`OutputFile`).
package enum ReportFile {
    package static func write(_ text: String, to path: String) throws {
        do {
            try OutputFile.write(Data(text.utf8), to: path)
        } catch {
            throw ReportWriteError(path: path, reason: error.reason)
        }
    }

    /// Writes the reports whose path was given or, when none was, every one of them as
    /// `defaultStem` + its suffix. Returns the paths written.
    package static func writeRequested(_ reports: [(path: String?, suffix: String, render: () throws -> String)], defaultStem: String) throws -> [String] {
        let none = reports.allSatisfy { $0.path == nil }
        var written: [String] = []
        for report in reports {
            guard let path = report.path ?? (none ? defaultStem + report.suffix : nil) else { continue }
            try write(try report.render(), to: path)
            written.append(path)
        }
        return written
    }

    package static func writeJSON(_ value: JSONValue, to path: String) throws {
        try write(JSONWriter.pretty(value) + "\n", to: path)
    }
}

package struct ReportWriteError: Error, CustomStringConvertible {
    package let path: String
    package let reason: String
    package var description: String { "cannot write \(path): \(reason)" }
}

/// A report written as JSON, one self-contained HTML page and JUnit XML (a flow run, a gate).
package protocol JSONHTMLJUnitReport {
    func json() throws -> Data
    func html() -> String
    func junit() -> JUnitReport
}

extension JSONHTMLJUnitReport {
    /// Writes the files asked for, or all three next to `defaultStem` when none was named.
    package func write(json: String?, html: String?, junit: String?, defaultStem: String) throws -> [String] {
        try ReportFile.writeRequested([
            (json, ".json", { String(decoding: try self.json(), as: UTF8.self) + "\n" }),
            (html, ".html", { self.html() }),
            (junit, ".junit.xml", { self.junit().xml() }),
        ], defaultStem: defaultStem)
    }
}
