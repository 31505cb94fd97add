import Foundation

/// Writes a load result's reports: the files asked for, or all of them (JSON, HTML, JUnit and
/// the HdrHistogram interval log) next to `defaultStem` when none was named. Returns the paths written.
public enum LoadReportFiles {
    public static func write(_ result: LoadResult, json: String?, html: String?, junit: String?, hlog: String? = nil,
                             defaultStem: String) throws -> [String] {
        let none = json == nil && html == nil && junit == nil && hlog == nil
        var written: [String] = []
        if let path = json ?? (none ? defaultStem + ".json" : nil) {
            try ReportFile.write(String(decoding: try result.json(), as: UTF8.self) + "\n", to: path)
            written.append(path)
        }
        if let path = html ?? (none ? defaultStem + ".html" : nil) {
            try ReportFile.write(result.html(), to: path)
            written.append(path)
        }
        if let path = junit ?? (none ? defaultStem + ".junit.xml" : nil) {
            try ReportFile.write(result.junit().xml(), to: path)
            written.append(path)
        }
        if let path = hlog ?? (none ? defaultStem + ".hlog" : nil) {
            try ReportFile.write(HdrLog.text(result), to: path)
            written.append(path)
        }
        return written
    }
}
