import CanaryJudge
import Foundation
import LoadMetrics
import SLO
import Testing

/// Runs a Python script with scipy (PyPI) and returns what it printed as JSON.
func scipy(_ script: String, input: Any) throws -> Any {
    let python = try #require(ProcessInfo.processInfo.environment["TOLLGATE_SCIPY_PYTHON"])
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("scipy-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let inputFile = folder.appendingPathComponent("input.json"), scriptFile = folder.appendingPathComponent("oracle.py")
    try JSONSerialization.data(withJSONObject: input).write(to: inputFile)
    try script.write(to: scriptFile, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [scriptFile.path, inputFile.path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    return try JSONSerialization.jsonObject(with: data)
}

@Suite(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_SCIPY_PYTHON"] != nil,
                "needs scipy (PyPI): make test installs it into .venv-scipy and sets TOLLGATE_SCIPY_PYTHON"))
struct ScipyOracleTests {
    @Test func mannWhitneyPValuesAreScipys() throws {
        let cases = SampleCase.all
        let script = """
            import json, sys
            from scipy.stats import mannwhitneyu
            cases = json.load(open(sys.argv[1]))
            print(json.dumps([float(mannwhitneyu(c["canary"], c["baseline"]).pvalue) for c in cases]))
            """
        let expected = try #require(try scipy(script, input: cases.map { ["canary": $0.canary, "baseline": $0.baseline] }) as? [Double])
        for (sampleCase, scipyP) in zip(cases, expected) {
            let test = RankSumTest(canary: WeightedSample(sampleCase.canary), baseline: WeightedSample(sampleCase.baseline), confidence: 0.98)
            #expect(abs(test.pValue - scipyP) <= 1e-9 * max(1, scipyP), "\(sampleCase.name): \(test.pValue) vs scipy \(scipyP)")
        }
    }

    @Test func fisherExactAndTwoProportionPValuesAreScipys() throws {
        // (canary failures, canary requests, baseline failures, baseline requests)
        let tables = [(3, 100, 0, 100), (1, 50, 5, 50), (0, 10, 0, 10), (10, 1000, 2, 1000), (2, 7, 5, 9), (40, 2000, 25, 2100), (300, 1000, 280, 1000)]
        let script = """
            import json, sys
            from scipy.stats import fisher_exact, norm
            out = []
            for a, n1, c, n2 in json.load(open(sys.argv[1])):
                table = [[a, n1 - a], [c, n2 - c]]
                total = n1 + n2; events = a + c
                expected = min(events, total - events) * min(n1, n2) / total
                if expected < 5:
                    out.append(["fisher-exact", float(fisher_exact(table).pvalue)])
                else:
                    p = events / total
                    se = (p * (1 - p) * (1 / n1 + 1 / n2)) ** 0.5
                    z = abs(a / n1 - c / n2) / se
                    out.append(["two-proportion-z", float(min(1.0, 2 * norm.sf(z)))])
            print(json.dumps(out))
            """
        let expected = try #require(try scipy(script, input: tables.map { [$0.0, $0.1, $0.2, $0.3] }) as? [[Any]])
        for (table, oracle) in zip(tables, expected) {
            let test = ProportionTest(canaryEvents: table.0, canaryTrials: table.1, baselineEvents: table.2, baselineTrials: table.3)
            let scipyP = try #require(oracle[1] as? Double)
            #expect(test.method.rawValue == oracle[0] as? String, "\(table)")
            #expect(abs(test.pValue - scipyP) <= 1e-9 * max(1, scipyP), "\(table): \(test.pValue) vs scipy \(scipyP)")
        }
    }
}

struct RankSumTests {
    /// Every canary − baseline difference, listed: what the Hodges–Lehmann shift is the median of.
    private func pairwiseMedian(_ canary: [Double], _ baseline: [Double]) -> Double {
        let differences = canary.flatMap { c in baseline.map { c - $0 } }.sorted()
        let middle = differences.count / 2
        return differences.count % 2 == 1 ? differences[middle] : (differences[middle - 1] + differences[middle]) / 2
    }

    @Test func theShiftIsTheMedianOfEveryPairwiseDifference() {
        for sampleCase in SampleCase.all {
            let test = RankSumTest(canary: WeightedSample(sampleCase.canary), baseline: WeightedSample(sampleCase.baseline), confidence: 0.98)
            #expect(test.shift == pairwiseMedian(sampleCase.canary, sampleCase.baseline), "\(sampleCase.name)")
            #expect(test.shiftInterval.contains(test.shift), "\(sampleCase.name): \(test.shiftInterval)")
        }
    }

    @Test func theIntervalCoversAKnownShiftAndExcludesZero() {
        let shifted = SampleCase.all[1]
        let test = RankSumTest(canary: WeightedSample(shifted.canary), baseline: WeightedSample(shifted.baseline), confidence: 0.98)
        #expect(test.shiftInterval.contains(15), "\(test.shiftInterval)")
        #expect(test.shiftInterval.lowerBound > 0 && test.pValue < 0.02)
        let same = SampleCase.all[0]
        let null = RankSumTest(canary: WeightedSample(same.canary), baseline: WeightedSample(same.baseline), confidence: 0.98)
        #expect(null.shiftInterval.contains(0) && null.pValue > 0.02, "\(null)")
    }

    @Test func anEmptySideIsNoEvidence() {
        let test = RankSumTest(canary: WeightedSample([]), baseline: WeightedSample([1, 2, 3]), confidence: 0.98)
        #expect(test.pValue == 1 && test.shift == 0)
    }

    @Test func theExactDistributionIsUsedForSmallUntiedSamples() {
        let tiny = SampleCase.all[3], tied = SampleCase.all[4]
        #expect(RankSumTest(canary: WeightedSample(tiny.canary), baseline: WeightedSample(tiny.baseline), confidence: 0.98).exact)
        #expect(!RankSumTest(canary: WeightedSample(tied.canary), baseline: WeightedSample(tied.baseline), confidence: 0.98).exact)
    }

    @Test func throughTheHistogramsEveryClassificationIsTheRawSamples() {
        var random = SeededGenerator(seed: 7)
        let settings = JudgeSettings(metrics: [])
        let metric = JudgedMetric(name: "latency", measure: .latency(.all), direction: .either, allowedIncrease: 0.1, allowedShift: 20)
        var seen: Set<MetricClassification> = []
        for (median, delta, count) in [(80.0, 0.0, 400), (80, 25, 400), (300, 150, 200), (300, -120, 300), (50, 3, 5000), (1200, 40, 800), (20, 0, 30)] {
            let baseline = (0..<count).map { _ in random.latency(median: median) }
            let canary = (0..<count).map { _ in random.latency(median: median + delta) }
            func histogram(_ values: [Double]) -> WeightedSample {
                var histogram = LatencyHistogram()
                for value in values { histogram.record(micros: UInt64(value * 1000)) }
                return WeightedSample(histogram)
            }
            // The raw sample at the histogram's microsecond resolution.
            func raw(_ values: [Double]) -> WeightedSample { WeightedSample(values.map { Double(UInt64($0 * 1000)) / 1000 }) }
            let fromHistograms = CanaryJudge.judgeLatency(metric, settings: settings, baseline: histogram(baseline), canary: histogram(canary))
            let fromSamples = CanaryJudge.judgeLatency(metric, settings: settings, baseline: raw(baseline), canary: raw(canary))
            #expect(fromHistograms.classification == fromSamples.classification, "median \(median) + \(delta): \(fromHistograms.reason) / \(fromSamples.reason)")
            // Within the histogram's resolution (3 significant digits: a bucket is ~1/1000 of its values).
            let resolution = 0.002 * max(fromSamples.baseline.value, fromSamples.canary.value)
            #expect(abs(fromHistograms.shift - fromSamples.shift) <= resolution, "\(fromHistograms.shift) vs \(fromSamples.shift)")
            seen.insert(fromSamples.classification)
        }
        #expect(seen == [.pass, .high, .low, .noData], "the cases reach every class: \(seen)")
    }
}

extension RankSumTests {
    /// Two histograms read from files may hold 2^52 observations each: their pairs overflow any
    /// integer, and the test still answers.
    @Test func hugeCountsDoNotOverflow() {
        let huge = 1 << 52
        let baseline = WeightedSample(sortedValues: [10, 20, 30], counts: [huge, huge / 2, huge / 4])
        let canary = WeightedSample(sortedValues: [15, 25, 35], counts: [huge, huge / 2, huge / 4])
        let test = RankSumTest(canary: canary, baseline: baseline, confidence: 0.98)
        #expect(test.shift == 5 && test.pValue < 0.02 && test.shiftInterval.contains(5), "\(test)")
    }
}
