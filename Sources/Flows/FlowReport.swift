package import Foundation

/// The results of `tollgate flow`: every run of every flow, step by step. Schema `tollgate.flow/v1`.
package struct FlowReport: Sendable, Codable {
    package static let schema = "tollgate.flow/v1"

    package var schemaVersion = FlowReport.schema
    package var target: String
    package var startedAt: Date
    package var passed: Bool
    package var runs: [FlowResult]

    package init(target: String, startedAt: Date, runs: [FlowResult]) {
        self.target = target
        self.startedAt = startedAt
        self.runs = runs
        passed = runs.allSatisfy(\.passed)
    }

    enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version", target, startedAt = "started_at", passed, runs }

    package func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}
