import ArgumentParser

/// Where a command writes its reports: the files named, else the command's own names under
/// `--report-dir` (every command that writes JSON, HTML and JUnit reports shares these flags).
struct ReportOptions: ParsableArguments {
    @Option(help: "Write the JSON report here.") var json: String?
    @Option(help: "Write the HTML report here.") var html: String?
    @Option(help: "Write the JUnit XML report here.") var junit: String?
    @Option(help: "Where reports go when no file is named.") var reportDir = "reports"
}

extension ReportOptions {
    /// `reportDir/PREFIX-NAME`, the name reduced to letters, digits, `-` and `_`.
    func stem(_ prefix: String, _ name: String) -> String {
        "\(reportDir)/\(prefix)-" + String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" })
    }
}
