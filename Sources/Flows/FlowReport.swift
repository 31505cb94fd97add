import Foundation

/// The results of `tollgate flow`: every run of every flow, step by step. Schema `tollgate.flow/v1`.
public struct FlowReport: Sendable, Codable {
    public static let schema = "tollgate.flow/v1"

    public var schemaVersion = FlowReport.schema
    public var target: String
    public var startedAt: Date
    public var passed: Bool
    public var runs: [FlowResult]

    public init(target: String, startedAt: Date, runs: [FlowResult]) {
        self.target = target
        self.startedAt = startedAt
        self.runs = runs
        passed = runs.allSatisfy(\.passed)
    }

    enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version", target, startedAt = "started_at", passed, runs }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}
