import Foundation

/// A JUnit XML report, as CI systems show in their test tabs.
package struct JUnitReport: Sendable {
    package struct TestCase: Sendable {
        package enum Result: Sendable {
            case passed
            case failed(message: String, details: String)
            case error(message: String)
            case skipped(message: String)
        }
        package var className: String
        package var name: String
        package var seconds: Double
        package var result: Result
        /// Shown as the case's `system-out` (warnings that did not fail it).
        package var output: String?

        package init(className: String, name: String, seconds: Double, result: Result, output: String? = nil) {
            self.className = className
            self.name = name
            self.seconds = seconds
            self.result = result
            self.output = output
        }
    }

    package struct TestSuite: Sendable {
        package var name: String
        package var cases: [TestCase]
        package init(name: String, cases: [TestCase]) {
            self.name = name
            self.cases = cases
        }
    }

    package var name: String
    package var suites: [TestSuite]

    package init(name: String, suites: [TestSuite]) {
        self.name = name
        self.suites = suites
    }

    /// The XML document.
    package func xml() -> String {
        func count(_ cases: [TestCase], _ test: (TestCase.Result) -> Bool) -> Int { cases.filter { test($0.result) }.count }
        func isFailure(_ r: TestCase.Result) -> Bool { if case .failed = r { return true } else { return false } }
        func isError(_ r: TestCase.Result) -> Bool { if case .error = r { return true } else { return false } }
        func isSkipped(_ r: TestCase.Result) -> Bool { if case .skipped = r { return true } else { return false } }
        let all = suites.flatMap(\.cases)
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out += #"<testsuites name="\#(escape(name))" tests="\#(all.count)" failures="\#(count(all, isFailure))" errors="\#(count(all, isError))" skipped="\#(count(all, isSkipped))" time="\#(seconds(all.map(\.seconds).reduce(0, +)))">"# + "\n"
        for suite in suites {
            let time = suite.cases.map(\.seconds).reduce(0, +)
            out += #"  <testsuite name="\#(escape(suite.name))" tests="\#(suite.cases.count)" failures="\#(count(suite.cases, isFailure))" errors="\#(count(suite.cases, isError))" skipped="\#(count(suite.cases, isSkipped))" time="\#(seconds(time))">"# + "\n"
            for test in suite.cases {
                out += #"    <testcase classname="\#(escape(test.className))" name="\#(escape(test.name))" time="\#(seconds(test.seconds))""#
                var body = ""
                switch test.result {
                case .passed: break
                case .failed(let message, let details):
                    body += "      <failure message=\"\(escape(message))\" type=\"mismatch\">\(escape(details))</failure>\n"
                case .error(let message):
                    body += "      <error message=\"\(escape(message))\" type=\"error\">\(escape(message))</error>\n"
                case .skipped(let message):
                    body += "      <skipped message=\"\(escape(message))\"/>\n"
                }
                if let output = test.output { body += "      <system-out>\(escape(output))</system-out>\n" }
                out += body.isEmpty ? "/>\n" : ">\n" + body + "    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }

    private func seconds(_ value: Double) -> String { String(format: "%.3f", value) }

    func escape(_ text: String) -> String { Markup.escape(text) }
}
