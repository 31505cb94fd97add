import ContractCore
import Foundation
import Testing

/// Every case of the Pact specification's own test suite (v1 to v4), through ContractCore.
/// A case passes when the verdict equals its `match` field. No case is skipped.
@Suite struct SpecConformanceTests {
    static let root: URL = {
        if let override = ProcessInfo.processInfo.environment["TOLLGATE_SPEC_TESTCASES"] {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/pact-spec-testcases")
    }()

    static func cases(in version: String) -> [URL] {
        let folder = root.appendingPathComponent(version)
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "json" } ?? []
        return files.sorted { $0.path < $1.path }
    }

    @Test(arguments: ["version-1", "version-1.1", "version-2", "version-3", "version-4"])
    func everyCaseGivesTheExpectedVerdict(version: String) throws {
        let files = Self.cases(in: version)
        #expect(files.count >= 70, "expected the \(version) cases under \(Self.root.path)")
        var failures: [String] = []
        for file in files {
            let relative = String(file.path.dropFirst(Self.root.path.count + 1))
            let inferred = MatchCase.infer(fromPath: relative)
            let kind = try #require(inferred.kind, "no kind for \(relative)")
            let specVersion = try #require(inferred.version, "no version for \(relative)")
            let testCase = try MatchCase(json: try Data(contentsOf: file), kind: kind, version: specVersion, file: relative)
            guard let verdict = testCase.expectedVerdict else {
                Issue.record("\(relative) has no 'match' verdict")
                continue
            }
            let result = try testCase.evaluate(file: relative)
            if result.matched != verdict {
                failures.append("\(relative): expected \(verdict ? "match" : "mismatch"), got \(result.matched ? "match" : result.mismatches.map(\.description).joined(separator: "; "))")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(files.count) cases disagree:\n\(failures.joined(separator: "\n"))")
    }

    @Test func allCasesArePresent() {
        let total = ["version-1", "version-1.1", "version-2", "version-3", "version-4"].map { Self.cases(in: $0).count }.reduce(0, +)
        #expect(total == 803)
    }

    @Test func casesThatShouldNotMatchSayWhere() throws {
        let file = Self.root.appendingPathComponent("version-3/testcases/response/body/different value found at key.json")
        let testCase = try MatchCase(json: try Data(contentsOf: file), kind: .response, version: .v3)
        let mismatch = try #require(try testCase.evaluate().mismatches.first)
        #expect(mismatch.kind == .body)
        #expect(mismatch.path.hasPrefix("$.alligator"))
        #expect(mismatch.expected != nil && mismatch.actual != nil)
    }
}
