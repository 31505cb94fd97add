public import ArgumentParser
import ContractCore
import Foundation

/// `tollgate match --case FILE`: one comparison in the Pact specification's test-case format.
struct MatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Match an actual request, response or message against an expected one.",
        discussion: """
            FILE holds {"expected": ..., "actual": ..., "match": true|false, "comment": "..."} as in the \
            Pact specification's test cases. Exit status: 0 the actual matches, 1 it does not, 2 an error.
            """)

    @Option(name: .customLong("case"), help: "The test-case file.")
    var caseFile: String

    @Option(help: "request, response or message (default: from the file's folder, else from its fields).")
    var kind: MatchCase.Kind?

    @Option(help: "Pact specification version 1, 1.1, 2, 3 or 4 (default: from the path, else 4).")
    var spec: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if let spec, SpecVersion(string: spec) == nil {
            throw ValidationError("--spec must be one of 1, 1.1, 2, 3, 4 (got '\(spec)')")
        }
    }

    func run() throws {
        let inferred = MatchCase.infer(fromPath: URL(fileURLWithPath: caseFile).standardizedFileURL.path)
        let version = spec.flatMap(SpecVersion.init(string:)) ?? inferred.version ?? .v4
        // Outside the specification's folders, only an explicit --kind counts.
        let inferredKind = inferred.version == nil ? nil : inferred.kind
        let result: MatchResult
        let testCase: MatchCase
        do {
            guard let data = FileManager.default.contents(atPath: caseFile) else {
                throw PactError(file: caseFile, path: "$", reason: "cannot read the file")
            }
            testCase = try MatchCase(json: data, kind: kind ?? inferredKind, version: version, file: caseFile)
            result = try testCase.evaluate(file: caseFile)
        } catch {
            fail("\(error)")
        }
        if json {
            print(JSONWriter.pretty(MatchReport.json(result)))
        } else {
            print(MatchReport.text(result, kind: testCase.kind, version: version, comment: testCase.comment))
        }
        throw ExitCode(result.matched ? ExitStatus.passed : ExitStatus.failed)
    }

    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("tollgate match: error: \(message)\n".utf8))
        Foundation.exit(ExitStatus.error)
    }
}

extension MatchCase.Kind: ExpressibleByArgument {}

/// Renders a match result for people and for machines.
enum MatchReport {
    static func json(_ result: MatchResult) -> JSONValue {
        .object(JSONObject([
            ("match", .bool(result.matched)),
            ("mismatches", .array(result.mismatches.map(\.json))),
        ]))
    }

    static func text(_ result: MatchResult, kind: MatchCase.Kind, version: SpecVersion, comment: String?) -> String {
        var lines: [String] = []
        let title = comment.map { " — \($0)" } ?? ""
        if result.matched {
            lines.append("✓ \(kind.rawValue) matches (Pact \(version))\(title)")
        } else {
            lines.append("✗ \(kind.rawValue) does not match (Pact \(version))\(title): \(result.mismatches.count) mismatch(es)")
            for m in result.mismatches {
                lines.append("  \(m.path)")
                lines.append("    \(m.message)")
                if let e = m.expected { lines.append("    expected: \(e)") }
                if let a = m.actual { lines.append("    actual:   \(a)") }
            }
        }
        return lines.joined(separator: "\n")
    }
}
