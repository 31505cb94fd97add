import CanaryJudge
import Foundation
import SLO
import Steps
import Testing

struct JudgeReaderTests {
    private func load(_ text: String) throws -> JudgeSettings {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("judge-\(UUID()).yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try JudgeFileLoader.load(file.path, environment: [:])
    }

    private func problems(_ text: String) -> [String] {
        do {
            _ = try load(text)
            return []
        } catch let error as FileProblems {
            return error.problems.map { "\($0.line.map(String.init) ?? "-") \($0.field): \($0.message)" }
        } catch {
            return ["\(error)"]
        }
    }

    @Test func aJudgeSectionReadsEveryMetricKind() throws {
        let settings = try load("""
            judge:
              confidence: 0.99
              min_samples: 100
              pass_score: 90
              marginal_score: 60
              metrics:
                - latency: get product
                  allowed_increase: 10%
                  allowed_shift: 20ms
                  critical: true
                - error_rate: tag:payment
                  allowed_shift: 0.5%
                  action: rollback
                - payment_failure_rate: true
                  weight: 3
                - check_pass_rate: status is 200
                  name: statuses
            """)
        #expect(settings.confidence == 0.99 && settings.minSamples == 100 && settings.passScore == 90 && settings.marginalScore == 60)
        #expect(settings.metrics.map(\.name) == ["latency get product", "error rate tag:payment", "payment failure rate", "statuses"])
        #expect(settings.metrics[0].measure == .latency(.name("get product")) && settings.metrics[0].allowedShift == 20 && settings.metrics[0].allowedIncrease == 0.1)
        #expect(settings.metrics[0].critical && settings.metrics[1].measure == .errorRate(.tag("payment")) && settings.metrics[1].allowedShift == 0.005)
        #expect(settings.metrics[1].action == .rollback && settings.metrics[2].weight == 3)
        #expect(settings.metrics[3].direction == .decrease, "a pass rate is worse when lower")
    }

    @Test func badSettingsAreNamedWithTheirLines() {
        let found = problems("""
            judge:
              confidence: 1.5
              marginal_score: 99
              metrics:
                - latency: get product
                  allowed_increase: -10%
                - error_rate: all
                  latency: all
                - direction: sideways
                - latency: list
                  allowed_shift: fast
                  action: explode
            """)
        #expect(found.contains("2 judge.confidence: must be between 0.0 and 1.0, found 1.5"), "\(found)")
        #expect(found.contains("3 judge.marginal_score: must not be above pass_score (95.0)"), "\(found)")
        #expect(found.contains("6 judge.metrics[0].allowed_increase: must be from 0% to 10000%, found -10%"), "\(found)")
        #expect(found.contains("7 judge.metrics[1]: one measure per metric, found latency and error_rate"), "\(found)")
        #expect(found.contains { $0.hasPrefix("9 judge.metrics[2]: name what to compare") }, "\(found)")
        #expect(found.contains("11 judge.metrics[3].allowed_shift: expected a duration such as 500ms, 30s, 5m, 1h"), "\(found)")
        #expect(found.contains("12 judge.metrics[3].action: must be proceed, reduce, pause or rollback, found 'explode'"), "\(found)")
        #expect(problems("judge:\n  confidence: 0.5\n  metrics: [{latency: all}]\n") == ["2 judge.confidence: must be above 0.5 and below 1, found 0.5"])
        #expect(problems("judge:\n  metrics: []\n") == ["2 judge.metrics: list at least one metric"])
    }
}

extension JudgeReaderTests {
    @Test func theShippedJudgeFileReads() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("loadprofiles/judge.yaml")
        let settings = try JudgeFileLoader.load(file.path, environment: [:])
        #expect(settings.metrics.count == 6 && settings.metrics.contains { $0.critical } && settings.metrics.contains { $0.action == .rollback })
    }
}

extension JudgeReaderTests {
    @Test func aPromQLPairNeedsBothQueries() throws {
        let settings = try load("judge:\n  metrics:\n    - {baseline_query: 'rate(a[1m])', canary_query: 'rate(b[1m])', step: 10s, allowed_shift: 0.5}\n")
        #expect(settings.metrics[0].measure == .queryPair(baseline: "rate(a[1m])", canary: "rate(b[1m])", step: 10) && settings.metrics[0].allowedShift == 0.5)
        #expect(settings.metrics[0].name == "query 0")
        #expect(problems("judge:\n  metrics:\n    - {baseline_query: 'rate(a[1m])'}\n") == ["3 judge.metrics[0].canary_query: a PromQL pair needs both baseline_query and canary_query"])
        #expect(problems("judge:\n  metrics:\n    - {latency: all, step: 5s}\n") == ["3 judge.metrics[0]: canary_query and step belong with baseline_query"])
    }
}
