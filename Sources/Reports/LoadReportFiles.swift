import Foundation
package import LoadEngine

/// Writes a load result's reports: the files asked for, or all of them (JSON, HTML, JUnit and
/// the HdrHistogram interval log) next to `defaultStem` when none was named. Returns the paths written.
package enum LoadReportFiles {
    package static func write(_ result: LoadResult, json: String?, html: String?, junit: String?, hlog: String? = nil,
                             defaultStem: String) throws -> [String] {
        try ReportFile.writeRequested([
            (json, ".json", { String(decoding: try result.json(), as: UTF8.self) + "\n" }),
            (html, ".html", { result.html() }),
            (junit, ".junit.xml", { result.junit().xml() }),
            (hlog, ".hlog", { HdrLog.text(result) }),
        ], defaultStem: defaultStem)
    }
}
