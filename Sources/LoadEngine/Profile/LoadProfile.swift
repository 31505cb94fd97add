package import SLO
package import Steps

/// A load profile: where to send load, the scenarios that make it, and the objectives it is judged by.
package struct LoadProfile: Sendable {
    package var name: String
    package var description: String
    /// The base URL every step's path is relative to.
    package var target: String
    package var scenarios: [Scenario]
    package var objectives: [Objective]
    /// Where it was read from (for reports); nil for quick mode.
    package var source: String?
    /// What the profile's text was (FNV-1a 64 of it, its variables filled): the shards of one
    /// run carry the same digest, so a merge refuses shards of another version of the profile.
    package var digest: String?
    /// How `https://` targets are connected to (the profile's `tls:` with the command line's flags on top).
    package var tls = TLSSettings()

    package init(name: String, description: String = "", target: String, scenarios: [Scenario], objectives: [Objective], source: String? = nil) {
        self.name = name
        self.description = description
        self.target = target
        self.scenarios = scenarios
        self.objectives = objectives
        self.source = source
    }

    /// Seconds from the start until the last scenario stops starting iterations.
    /// The topics the profile's flows expect events on.
    package var eventTopics: Set<String> {
        Set(scenarios.flatMap { $0.mix.sequences.flatMap { sequence in
            sequence.items.compactMap { if case .event(let expectation) = $0 { return expectation.topic } else { return nil } }
        } })
    }

    /// What each objective's selection names that no step of the profile has (a misspelt tag or
    /// step name would otherwise select nothing), one message per objective.
    package func unknownSelections(in objectives: [Objective]) -> [String] {
        let steps = scenarios.flatMap { $0.mix.sequences.flatMap(\.steps) }
        let names = Set(steps.map(\.name)), tags = Set(steps.flatMap(\.tags))
        func listed(_ set: Set<String>) -> String { set.isEmpty ? "none" : set.sorted().joined(separator: ", ") }
        return objectives.compactMap { objective in
            switch (objective.metric, objective.scope) {
            case (.paymentFailureRate, _) where !tags.contains(Objective.paymentTag):
                return "\(objective.expression): payment_failure_rate reads requests tagged '\(Objective.paymentTag)', and no step has that tag (tags: \(listed(tags)))"
            case (_, .name(let name)) where !names.contains(name):
                return "\(objective.expression): no step is named '\(name)' (steps: \(listed(names)))"
            case (_, .tag(let tag)) where !tags.contains(tag):
                return "\(objective.expression): no step is tagged '\(tag)' (tags: \(listed(tags)))"
            default:
                return nil
            }
        }
    }

    package var duration: Double { scenarios.map { $0.startTime + $0.executor.duration }.max() ?? 0 }

    /// The profile squeezed into `seconds` (start times and every duration scaled alike).
    package func shortened(to seconds: Double) -> LoadProfile {
        let total = duration
        guard total > seconds, total > 0 else { return self }
        let factor = seconds / total
        var copy = self
        copy.scenarios = scenarios.map { scenario in
            var scenario = scenario
            scenario.startTime *= factor
            scenario.executor = scenario.executor.scaled(by: factor)
            return scenario
        }
        return copy
    }

    /// This shard's part of the profile.
    package func sharded(_ shard: Shard) -> LoadProfile {
        var copy = self
        copy.scenarios = scenarios.map { scenario in
            var scenario = scenario
            scenario.executor = scenario.executor.sharded(shard)
            scenario.feeders = scenario.feeders.mapValues { $0.partitioned(shard) }
            return scenario
        }
        return copy
    }
}

/// One scenario: an executor and the weighted sequences its users run.
extension LoadProfile {
    /// FNV-1a 64 of `text`, in hex: an identity, not a defence (a result file can say anything).
    package static func digest(of text: String) -> String {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100000001b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

package struct Scenario: Sendable {
    package var name: String
    package var executor: Executor
    /// Seconds after the run starts.
    package var startTime: Double
    /// Seconds in-flight iterations may finish after the executor's end.
    package var gracefulStop: Double
    package var mix: WeightedMix
    /// Data the scenario's templates read as `${feeder.column}`.
    package var feeders: [String: Feeder]
    /// Default per-request timeout in seconds.
    package var timeout: Double

    package init(name: String, executor: Executor, startTime: Double = 0, gracefulStop: Double = 5, mix: WeightedMix,
                feeders: [String: Feeder] = [:], timeout: Double = 10) {
        self.name = name
        self.executor = executor
        self.startTime = startTime
        self.gracefulStop = gracefulStop
        self.mix = mix
        self.feeders = feeders
        self.timeout = timeout
    }
}
