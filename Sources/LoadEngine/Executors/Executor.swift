package import Steps

/// How a scenario's iterations are started, as k6 names its executors. The open-model
/// executors start iterations at a rate whatever the responses do; the closed-model ones keep
/// a number of users looping.
package enum Executor: Sendable, Equatable {
    /// `rate` iterations per second for `duration` seconds.
    case constantArrivalRate(rate: Double, duration: Double, preAllocatedVUs: Int, maxVUs: Int)
    /// From `startRate` iterations per second through each stage's target rate, linearly.
    case rampingArrivalRate(startRate: Double, stages: [Stage], preAllocatedVUs: Int, maxVUs: Int)
    /// `vus` users looping for `duration` seconds.
    case constantVUs(vus: Int, duration: Double)
    /// From `startVUs` users through each stage's target, linearly.
    case rampingVUs(startVUs: Int, stages: [Stage])
    /// `vus` users each running `iterations` iterations, for at most `maxDuration` seconds.
    case perVUIterations(vus: Int, iterations: Int, maxDuration: Double)

    /// The names profiles use.
    package static let names = ["constant-arrival-rate", "ramping-arrival-rate", "constant-vus", "ramping-vus", "per-vu-iterations"]

    package var name: String {
        switch self {
        case .constantArrivalRate: return "constant-arrival-rate"
        case .rampingArrivalRate: return "ramping-arrival-rate"
        case .constantVUs: return "constant-vus"
        case .rampingVUs: return "ramping-vus"
        case .perVUIterations: return "per-vu-iterations"
        }
    }

    /// True for the open model (arrival rates).
    package var isOpen: Bool {
        switch self {
        case .constantArrivalRate, .rampingArrivalRate: return true
        default: return false
        }
    }

    /// Seconds the executor starts iterations for.
    package var duration: Double {
        switch self {
        case .constantArrivalRate(_, let duration, _, _), .constantVUs(_, let duration): return duration
        case .rampingArrivalRate(_, let stages, _, _), .rampingVUs(_, let stages): return stages.reduce(0) { $0 + $1.duration }
        case .perVUIterations(_, _, let maxDuration): return maxDuration
        }
    }

    /// The most users the executor may have at once.
    package var maxVUs: Int {
        switch self {
        case .constantArrivalRate(_, _, _, let maxVUs), .rampingArrivalRate(_, _, _, let maxVUs): return maxVUs
        case .constantVUs(let vus, _), .perVUIterations(let vus, _, _): return vus
        case .rampingVUs(let start, let stages): return max(start, Int(stages.map(\.target).max() ?? 0))
        }
    }

    /// This shard's part: rates divided, users split.
    package func sharded(_ shard: Shard) -> Executor {
        guard shard.count > 1 else { return self }
        func stages(_ list: [Stage]) -> [Stage] { list.map { Stage(target: shard.share(of: $0.target), duration: $0.duration) } }
        func vuStages(_ list: [Stage]) -> [Stage] { list.map { Stage(target: Double(shard.share(of: Int($0.target))), duration: $0.duration) } }
        switch self {
        case .constantArrivalRate(let rate, let duration, let pre, let max):
            return .constantArrivalRate(rate: shard.share(of: rate), duration: duration, preAllocatedVUs: shard.share(of: pre), maxVUs: Swift.max(1, shard.share(of: max)))
        case .rampingArrivalRate(let start, let list, let pre, let max):
            return .rampingArrivalRate(startRate: shard.share(of: start), stages: stages(list), preAllocatedVUs: shard.share(of: pre), maxVUs: Swift.max(1, shard.share(of: max)))
        case .constantVUs(let vus, let duration): return .constantVUs(vus: shard.share(of: vus), duration: duration)
        case .rampingVUs(let start, let list): return .rampingVUs(startVUs: shard.share(of: start), stages: vuStages(list))
        case .perVUIterations(let vus, let iterations, let maxDuration): return .perVUIterations(vus: shard.share(of: vus), iterations: iterations, maxDuration: maxDuration)
        }
    }

    /// The executor with every duration multiplied by `factor` (a shortened run keeps its shape).
    package func scaled(by factor: Double) -> Executor {
        func stages(_ list: [Stage]) -> [Stage] { list.map { Stage(target: $0.target, duration: $0.duration * factor) } }
        switch self {
        case .constantArrivalRate(let rate, let duration, let pre, let max): return .constantArrivalRate(rate: rate, duration: duration * factor, preAllocatedVUs: pre, maxVUs: max)
        case .rampingArrivalRate(let start, let list, let pre, let max): return .rampingArrivalRate(startRate: start, stages: stages(list), preAllocatedVUs: pre, maxVUs: max)
        case .constantVUs(let vus, let duration): return .constantVUs(vus: vus, duration: duration * factor)
        case .rampingVUs(let start, let list): return .rampingVUs(startVUs: start, stages: stages(list))
        case .perVUIterations(let vus, let iterations, let maxDuration): return .perVUIterations(vus: vus, iterations: iterations, maxDuration: maxDuration * factor)
        }
    }

    /// Iterations per second the executor aims at `seconds` into its run (0 for the closed model).
    package func targetRate(at seconds: Double) -> Double {
        switch self {
        case .constantArrivalRate(let rate, let duration, _, _): return seconds < duration ? rate : 0
        case .rampingArrivalRate(let start, let stages, _, _): return Ramp(start: start, stages: stages).value(at: seconds)
        default: return 0
        }
    }

    /// Users the executor wants `seconds` into its run.
    package func targetVUs(at seconds: Double) -> Int {
        switch self {
        case .constantVUs(let vus, let duration): return seconds < duration ? vus : 0
        case .rampingVUs(let start, let stages): return Int(Ramp(start: Double(start), stages: stages).value(at: seconds).rounded())
        case .perVUIterations(let vus, _, let maxDuration): return seconds < maxDuration ? vus : 0
        default: return 0
        }
    }
}

/// One leg of a ramp: reach `target` over `duration` seconds.
package struct Stage: Sendable, Equatable {
    package var target: Double
    package var duration: Double

    package init(target: Double, duration: Double) {
        self.target = target
        self.duration = duration
    }
}

/// A piecewise-linear value over time: from `start` through each stage's target.
struct Ramp {
    let start: Double
    let stages: [Stage]

    /// The value at `seconds`; 0 after the last stage.
    func value(at seconds: Double) -> Double {
        var from = start
        var elapsed = 0.0
        for stage in stages {
            if seconds < elapsed + stage.duration {
                let progress = stage.duration > 0 ? (seconds - elapsed) / stage.duration : 1
                return from + (stage.target - from) * progress
            }
            elapsed += stage.duration
            from = stage.target
        }
        return 0
    }
}
