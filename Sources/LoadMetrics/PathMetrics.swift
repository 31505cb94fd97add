/// Which side of a canary split served a request: the old path or the new one.
package enum TrafficPath: String, Sendable, Codable, CaseIterable, CodingKeyRepresentable {
    case baseline, canary
}

/// The requests one path served, by name, tag and check: what the canary judge compares, for
/// the same users at the same moment on the same machine.
package struct PathMetrics: Sendable, Equatable, Codable {
    package var total = RequestStats()
    package var byName: [String: RequestStats] = [:]
    package var byTag: [String: RequestStats] = [:]
    package var checks: [String: CheckTally] = [:]

    package init() {}

    package init(total: RequestStats, byName: [String: RequestStats], byTag: [String: RequestStats], checks: [String: CheckTally]) {
        self.total = total
        self.byName = byName
        self.byTag = byTag
        self.checks = checks
    }

    package mutating func merge(_ other: PathMetrics) {
        total.add(other.total)
        for (name, stats) in other.byName { byName[RunMetrics.group(name, in: byName), default: RequestStats()].add(stats) }
        for (tag, stats) in other.byTag { byTag[RunMetrics.group(tag, in: byTag), default: RequestStats()].add(stats) }
        for (check, tally) in other.checks { checks[check, default: CheckTally()].add(tally) }
    }

    enum CodingKeys: String, CodingKey { case total, byName = "by_name", byTag = "by_tag", checks }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        total = try c.decode(RequestStats.self, forKey: .total)
        byName = try RunMetrics.groups(c, .byName)
        byTag = try RunMetrics.groups(c, .byTag)
        checks = try c.decode([String: CheckTally].self, forKey: .checks)
        try DecodedFigures.total(checks.values.flatMap { [$0.passed, $0.failed] }, c, .checks, what: "checks' passes and failures")
    }
}

extension RunMetrics {
    /// Every request, as one path's figures are kept: what `tollgate judge` compares across two runs.
    package var overall: PathMetrics { PathMetrics(total: total, byName: byName, byTag: byTag, checks: checks) }
}

extension RunMetrics {
    /// One path's requests as a run's figures, so objectives are evaluated on each path alone.
    package init(path: PathMetrics) {
        self.init()
        total = path.total
        byName = path.byName
        byTag = path.byTag
        checks = path.checks
    }
}
