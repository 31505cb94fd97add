import ContractCore
import Foundation
import SLO
import Steps
import Yams

/// Reads load profiles (YAML), reporting every problem with its file, line and field.
package enum ProfileLoader {
    static let topFields: Set<String> = ["name", "description", "target", "timeout", "headers", "data", "scenarios", "slos", "tls"]
    static let scenarioFields: Set<String> = ["executor", "start_time", "graceful_stop", "rate", "time_unit", "duration", "pre_allocated_vus",
                                              "max_vus", "start_rate", "stages", "vus", "start_vus", "iterations", "max_duration", "mix", "steps", "flow"]
    /// The most users, iterations per second and stages a profile may ask for.
    static let maximumVUs = 100_000
    static let maximumRate = 1_000_000.0

    /// Reads `file`; `environment` fills `${NAME}` and `${NAME:-default}` before the YAML is read.
    package static func load(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LoadProfile {
        try parse(try NodeReader.readText(file), file: file, environment: environment)
    }

    package static func parse(_ text: String, file: String, environment: [String: String] = [:]) throws -> LoadProfile {
        var reader = NodeReader(file: file)
        let (root, values) = try reader.document(text, environment: environment, allowed: topFields, empty: "the profile is empty")
        let name = reader.string(values["name"], "name") ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let description = reader.string(values["description"], "description") ?? ""
        let target = reader.string(values["target"], "target") ?? ""
        if values["target"] != nil, !target.isEmpty, TargetURL(target) == nil {
            reader.problem(values["target"], "target", "not an http:// or https:// URL: '\(target)'")
        }
        let tls = reader.tlsSettings(values["tls"], "tls", directory: URL(fileURLWithPath: file).deletingLastPathComponent().path)
        let timeout = values["timeout"].flatMap { reader.duration($0, "timeout") } ?? 10
        let headers = reader.headers(values["headers"], "headers")
        let feeders = self.feeders(values["data"], base: URL(fileURLWithPath: file).deletingLastPathComponent(), reader: &reader)
        var scenarios: [Scenario] = []
        if let entries = reader.mapping(values["scenarios"], "scenarios") {
            if entries.isEmpty { reader.problem(values["scenarios"], "scenarios", "a profile needs at least one scenario") }
            for (scenarioName, node) in entries {
                if let scenario = self.scenario(scenarioName, node, base: URL(fileURLWithPath: file).deletingLastPathComponent(), feeders: feeders, headers: headers, timeout: timeout,
                                                environment: environment, reader: &reader) {
                    scenarios.append(scenario)
                }
            }
        } else if values["scenarios"] == nil {
            reader.problem(root, "scenarios", "a profile needs 'scenarios'")
        }
        var profile = LoadProfile(name: name, description: description, target: target, scenarios: scenarios, objectives: [], source: file)
        profile.tls = tls
        var scratch = NodeReader(file: file)
        profile.digest = LoadProfile.digest(of: NodeReader.substitute(text, environment: environment, reader: &scratch))
        if let written = reader.objectives(values["slos"]) {
            for problem in profile.unknownSelections(in: written) { reader.problem(values["slos"], "slos", problem) }
            profile.objectives = written
        } else {
            // The guide's defaults; the payment trigger only where some step is tagged payment.
            profile.objectives = Objective.rolloutDefaults.filter { profile.unknownSelections(in: [$0]).isEmpty }
        }
        guard reader.problems.isEmpty else { throw FileProblems(problems: reader.problems) }
        return profile
    }

    static func feeders(_ node: Node?, base: URL, reader: inout NodeReader) -> [String: Feeder] {
        var feeders: [String: Feeder] = [:]
        for (name, value) in reader.mapping(node, "data") ?? [] {
            let here = "data.\(name)"
            guard let entries = reader.mapping(value, here, allowed: ["file", "mode"]) else { continue }
            let values = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            guard let file = reader.string(values["file"], here + ".file") else {
                if values["file"] == nil { reader.problem(value, here, "a feeder needs a 'file' (CSV with a header row, or a JSON array)") }
                continue
            }
            let modeText = reader.string(values["mode"], here + ".mode") ?? "round-robin"
            guard let mode = Feeder.Mode(rawValue: modeText) else {
                reader.problem(values["mode"], here + ".mode", "unknown mode '\(modeText)' (round-robin, random, unique)")
                continue
            }
            let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : base.appendingPathComponent(file)
            do {
                let feeder = try Feeder.load(name: name, mode: mode, file: url)
                if feeder.count == 0 { reader.problem(values["file"], here + ".file", "has no rows") }
                feeders[name] = feeder
            } catch let error as FeederError {
                reader.problem(values["file"], here + ".file", error.reason)
            } catch {
                reader.problem(values["file"], here + ".file", "cannot be read: \(url.path)")
            }
        }
        return feeders
    }

    /// A weighted list of sequences: `- {name, weight, steps}`.
    static func sequences(_ node: Node?, _ field: String, known: Set<String>, headers: [(name: String, value: Template)], base: URL,
                          environment: [String: String], reader: inout NodeReader) -> [RequestSequence] {
        var sequences: [RequestSequence] = []
        for (index, item) in (reader.sequence(node, field) ?? []).enumerated() {
            let here = "\(field)[\(index)]"
            guard let entries = reader.mapping(item, here, allowed: ["name", "weight", "steps", "flow"]) else { continue }
            let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            let sequenceName = reader.string(fields["name"], here + ".name") ?? "sequence \(index + 1)"
            let weight = fields["weight"].flatMap { reader.integer($0, here + ".weight", in: 0...1_000_000) } ?? 1
            if let flowNode = fields["flow"] {
                if var flow = self.flow(flowNode, here + ".flow", base: base, environment: environment, reader: &reader) {
                    flow.name = fields["name"]?.string ?? flow.name
                    sequences.append(RequestSequence(name: flow.name, weight: weight, items: flow.items))
                }
            } else if let steps = reader.steps(fields["steps"], here + ".steps", known: known, defaultHeaders: headers) {
                sequences.append(RequestSequence(name: sequenceName, weight: weight, steps: steps))
            }
        }
        return sequences
    }

    static func scenario(_ name: String, _ node: Node, base: URL, feeders: [String: Feeder], headers: [(name: String, value: Template)],
                         timeout: Double, environment: [String: String], reader: inout NodeReader) -> Scenario? {
        let here = "scenarios.\(name)"
        guard let entries = reader.mapping(node, here, allowed: scenarioFields) else { return nil }
        let before = reader.problems.count
        let values = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let executor = self.executor(values, node: node, field: here, reader: &reader)
        let startTime = values["start_time"].flatMap { reader.duration($0, here + ".start_time") } ?? 0
        let gracefulStop = values["graceful_stop"].flatMap { reader.duration($0, here + ".graceful_stop") } ?? 5
        let known = Set(feeders.values.flatMap { feeder in feeder.columns.map { "\(feeder.name).\($0)" } })
        var sequences: [RequestSequence] = []
        if let mix = values["mix"] {
            if case .scalar = mix, let file = mix.string {
                // A mix kept in its own file, shared by several profiles.
                let path = file.hasPrefix("/") ? file : base.appendingPathComponent(file).path
                var mixReader = NodeReader(file: path)
                if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                    do {
                        let node = try Yams.compose(yaml: text)
                        sequences = self.sequences(node, "mix", known: known, headers: headers, base: URL(fileURLWithPath: path).deletingLastPathComponent(),
                                                   environment: environment, reader: &mixReader)
                    } catch {
                        mixReader.problem(nil, "", "not YAML: \(error)")
                    }
                } else {
                    reader.problem(mix, here + ".mix", "cannot read the mix file \(path)")
                }
                reader.problems += mixReader.problems
            } else {
                sequences = self.sequences(mix, here + ".mix", known: known, headers: headers, base: base, environment: environment, reader: &reader)
            }
            if sequences.isEmpty, reader.problems.count == before { reader.problem(mix, here + ".mix", "a mix needs at least one sequence") }
            if !sequences.isEmpty, sequences.allSatisfy({ $0.weight == 0 }) { reader.problem(mix, here + ".mix", "every weight is 0") }
        } else if let flowNode = values["flow"] {
            if let flow = self.flow(flowNode, here + ".flow", base: base, environment: environment, reader: &reader) {
                sequences = [RequestSequence(name: flow.name, items: flow.items)]
            }
        } else if let steps = reader.steps(values["steps"], here + ".steps", known: known, defaultHeaders: headers) {
            sequences = [RequestSequence(name: name, steps: steps)]
        }
        guard reader.problems.count == before, let executor else { return nil }
        return Scenario(name: name, executor: executor, startTime: startTime, gracefulStop: gracefulStop, mix: WeightedMix(sequences),
                        feeders: feeders, timeout: timeout)
    }

    /// A flow file named by a scenario or a mix entry (relative to the file naming it); its
    /// problems are reported with its own name and lines.
    static func flow(_ node: Node, _ field: String, base: URL, environment: [String: String], reader: inout NodeReader) -> Flow? {
        guard let file = reader.string(node, field) else { return nil }
        let path = file.hasPrefix("/") ? file : base.appendingPathComponent(file).path
        do {
            return try FlowLoader.load(file: path, environment: environment)
        } catch let error as FileProblems {
            reader.problem(node, field, "the flow \(file) has \(error.problems.count) problem(s)")
            reader.problems += error.problems
        } catch {
            reader.problem(node, field, "cannot read the flow \(file): \(error)")
        }
        return nil
    }

    static func executor(_ values: [String: Node], node: Node, field: String, reader: inout NodeReader) -> Executor? {
        guard let kind = reader.string(values["executor"], field + ".executor") else {
            if values["executor"] == nil { reader.problem(node, field + ".executor", "a scenario needs an executor (\(Executor.names.joined(separator: ", ")))") }
            return nil
        }
        func required<T>(_ key: String, _ read: (inout NodeReader, Node, String) -> T?) -> T? {
            guard let value = values[key] else {
                reader.problem(node, "\(field).\(key)", "\(kind) needs '\(key)'")
                return nil
            }
            return read(&reader, value, "\(field).\(key)")
        }
        /// `time_unit`: at least 1ms, so no rate per second grows past the cap through a tiny unit.
        func timeUnit() -> Double? {
            let unit = values["time_unit"].flatMap { reader.duration($0, field + ".time_unit") } ?? 1
            guard unit >= 0.001 else { reader.problem(values["time_unit"], field + ".time_unit", "must be at least 1ms"); return nil }
            return unit
        }
        /// A rate per `time_unit` as iterations per second, within the cap.
        func perSecond(_ value: Double, unit: Double, _ key: String) -> Double? {
            guard value / unit <= maximumRate else {
                reader.problem(values[key] ?? node, "\(field).\(key)", "is \(value / unit) iterations per second with time_unit; at most \(Int(maximumRate))")
                return nil
            }
            return value / unit
        }
        func rate(_ key: String) -> Double? {
            guard let value = required(key, { $0.number($1, $2, in: 0...maximumRate) }), let unit = timeUnit() else { return nil }
            return perSecond(value, unit: unit, key)
        }
        func stages(_ perTimeUnit: Bool) -> [Stage]? {
            guard let items = required("stages", { $0.sequence($1, $2) }) else { return nil }
            if items.isEmpty { reader.problem(values["stages"], field + ".stages", "needs at least one stage") }
            guard let unit = perTimeUnit ? timeUnit() : 1 else { return nil }
            var stages: [Stage] = []
            for (index, item) in items.enumerated() {
                let here = "\(field).stages[\(index)]"
                guard let entries = reader.mapping(item, here, allowed: ["target", "duration"]) else { continue }
                let fields = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
                let target = fields["target"].flatMap { reader.number($0, here + ".target", in: 0...(perTimeUnit ? maximumRate : Double(maximumVUs))) }
                let duration = fields["duration"].flatMap { reader.duration($0, here + ".duration") }
                if fields["target"] == nil || fields["duration"] == nil { reader.problem(item, here, "a stage needs 'target' and 'duration'") }
                if let target, let duration, let perSecond = perTimeUnit ? perSecond(target, unit: unit, "stages") : target {
                    stages.append(Stage(target: perSecond, duration: duration))
                }
            }
            return stages
        }
        func positive(_ key: String) -> Double? {
            guard let value = required(key, { $0.duration($1, $2) }) else { return nil }
            if value <= 0 { reader.problem(values[key], "\(field).\(key)", "must be longer than 0"); return nil }
            return value
        }
        func vus(_ key: String, default fallback: Int? = nil) -> Int? {
            if values[key] == nil, let fallback { return fallback }
            return required(key) { $0.integer($1, $2, in: 0...maximumVUs) }
        }
        switch kind {
        case "constant-arrival-rate":
            let (r, d, pre, max) = (rate("rate"), positive("duration"), vus("pre_allocated_vus", default: 1), vus("max_vus", default: 100))
            guard let r, let d, let pre, let max else { return nil }
            return .constantArrivalRate(rate: r, duration: d, preAllocatedVUs: pre, maxVUs: Swift.max(1, Swift.max(pre, max)))
        case "ramping-arrival-rate":
            let start = values["start_rate"].flatMap { reader.number($0, field + ".start_rate", in: 0...maximumRate) } ?? 0
            let (s, pre, max) = (stages(true), vus("pre_allocated_vus", default: 1), vus("max_vus", default: 100))
            guard let s, let pre, let max, let unit = timeUnit(), let startRate = perSecond(start, unit: unit, "start_rate") else { return nil }
            return .rampingArrivalRate(startRate: startRate, stages: s, preAllocatedVUs: pre, maxVUs: Swift.max(1, Swift.max(pre, max)))
        case "constant-vus":
            let (v, d) = (vus("vus"), positive("duration"))
            guard let v, let d else { return nil }
            return .constantVUs(vus: v, duration: d)
        case "ramping-vus":
            let start = vus("start_vus", default: 0)
            guard let s = stages(false), let start else { return nil }
            return .rampingVUs(startVUs: start, stages: s)
        case "per-vu-iterations":
            let v = vus("vus", default: 1)
            let iterations = values["iterations"].flatMap { reader.integer($0, field + ".iterations", in: 1...100_000_000) } ?? 1
            let maxDuration = values["max_duration"].flatMap { reader.duration($0, field + ".max_duration") } ?? 600
            guard let v else { return nil }
            return .perVUIterations(vus: v, iterations: iterations, maxDuration: maxDuration)
        default:
            reader.problem(values["executor"], field + ".executor", "unknown executor '\(kind)' (\(Executor.names.joined(separator: ", ")))")
            return nil
        }
    }
}
