package import Foundation

/// What `tollgate judge` writes: the two runs compared and the judgement. Schema `tollgate.judge/v1`.
package struct JudgeReport: Sendable, Codable {
    package static let schema = "tollgate.judge/v1"

    /// One of the two load results compared.
    package struct Source: Sendable, Codable, Equatable {
        package var file: String
        package var profile: String
        package var target: String
        package var startedAt: Date
        package var requests: Int

        package init(file: String, profile: String, target: String, startedAt: Date, requests: Int) {
            self.file = file
            self.profile = profile
            self.target = target
            self.startedAt = startedAt
            self.requests = requests
        }

        enum CodingKeys: String, CodingKey { case file, profile, target, startedAt = "started_at", requests }
    }

    package var schemaVersion = JudgeReport.schema
    package var baseline: Source
    package var canary: Source
    package var judgement: Judgement

    package init(baseline: Source, canary: Source, judgement: Judgement) {
        self.baseline = baseline
        self.canary = canary
        self.judgement = judgement
    }

    enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version", baseline, canary, judgement = "judge" }

    package func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }
}
