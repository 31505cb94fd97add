package import Foundation

/// What `tollgate parity` and the gate's parity part found. Schema `tollgate.parity/v1`.
package struct ParityReport: Sendable, Encodable, Equatable {
    package static let schema = "tollgate.parity/v1"

    /// One path where the candidate answered differently, outside the noise.
    package struct PathDifference: Sendable, Encodable, Equatable {
        package var path: String
        /// Requests that differed there.
        package var requests: Int
        /// The first pair seen, as compact JSON (nil: the field was absent on that side).
        package var baseline: String?
        package var candidate: String?
    }

    package struct EndpointResult: Sendable, Encodable, Equatable {
        package var pattern: String
        /// Requests compared (all three sides answered).
        package var requests: Int
        /// Requests a side did not answer.
        package var failed: Int
        /// Requests whose candidate answer differs outside the noise.
        package var differing: Int
        package var differences: [PathDifference]
        /// Paths where the baseline differed from itself: not counted.
        package var noise: [String]

        /// Differing requests over those compared, in percent.
        package var differingPercent: Double { requests == 0 ? 0 : 100 * Double(differing) / Double(requests) }

        enum CodingKeys: String, CodingKey { case pattern, requests, failed, differing, differingPercent = "differing_percent", differences, noise }

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(pattern, forKey: .pattern)
            try c.encode(requests, forKey: .requests)
            try c.encode(failed, forKey: .failed)
            try c.encode(differing, forKey: .differing)
            try c.encode(differingPercent, forKey: .differingPercent)
            try c.encode(differences, forKey: .differences)
            try c.encode(noise, forKey: .noise)
        }

        package init(pattern: String, requests: Int, failed: Int, differing: Int, differences: [PathDifference], noise: [String]) {
            self.pattern = pattern
            self.requests = requests
            self.failed = failed
            self.differing = differing
            self.differences = differences
            self.noise = noise
        }
    }

    package var schemaVersion = ParityReport.schema
    /// The largest differing share an endpoint may have, in percent.
    package var threshold: Double
    package var endpoints: [EndpointResult]
    /// Requests of endpoints past the ledger's limit: counted, not compared.
    package var uncompared: Int
    /// Where the requests went, and what was skipped before any was sent (unsafe methods, captured values).
    package var baseline = ""
    package var candidate = ""
    package var skipped: [String] = []
    /// The first few requests a side did not answer, in words.
    package var failures: [String] = []

    package init(threshold: Double, endpoints: [EndpointResult], uncompared: Int) {
        self.threshold = threshold
        self.endpoints = endpoints
        self.uncompared = uncompared
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", threshold = "threshold_percent", endpoints, uncompared, baseline, candidate, skipped, failures, passed, worst = "worst_differing_percent"
    }

    /// Every endpoint within the threshold, and something compared.
    package var passed: Bool { compared > 0 && endpoints.allSatisfy { $0.differingPercent <= threshold } }
    /// Requests compared in all.
    package var compared: Int { endpoints.reduce(0) { $0 + $1.requests } }
    /// The largest differing share of any endpoint, in percent.
    package var worstDifferingPercent: Double { endpoints.map(\.differingPercent).max() ?? 0 }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(endpoints, forKey: .endpoints)
        try c.encode(uncompared, forKey: .uncompared)
        try c.encode(baseline, forKey: .baseline)
        try c.encode(candidate, forKey: .candidate)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(failures, forKey: .failures)
        try c.encode(passed, forKey: .passed)
        try c.encode(worstDifferingPercent, forKey: .worst)
    }

    package func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
