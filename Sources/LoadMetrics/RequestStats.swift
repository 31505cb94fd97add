/// What happened to the requests of one group (all requests, one request name, or one tag).
public struct RequestStats: Sendable, Equatable, Codable {
    public var requests = 0
    /// Requests that failed: no response, a failed check, or a status ≥ 400 no check expected.
    public var errors = 0
    /// Failed requests that got no response at all (refused, timed out, reset, unfinished): what
    /// they did on the server is unknown. Part of `errors`.
    public var unanswered = 0
    /// Latency from each request's intended start (scheduler and queueing included).
    public var latency = LatencyHistogram()
    /// Latency from the moment each request was sent.
    public var rawLatency = LatencyHistogram()
    /// Responses by status code ("200", "404", …).
    public var statuses: [String: Int] = [:]

    public init() {}

    public mutating func add(_ other: RequestStats) {
        requests += other.requests
        errors += other.errors
        unanswered += other.unanswered
        latency.add(other.latency)
        rawLatency.add(other.rawLatency)
        statuses.merge(other.statuses, uniquingKeysWith: +)
    }

    /// Errors per request, 0–1.
    public var errorRate: Double { requests == 0 ? 0 : Double(errors) / Double(requests) }

    /// Requests that got a response (whose outcome is known).
    public var answered: Int { requests - unanswered }

    /// Failed requests among those answered, 0–1: what the server said went wrong, without the
    /// requests whose outcome nobody knows.
    public var answeredErrorRate: Double { answered == 0 ? 0 : Double(errors - unanswered) / Double(answered) }

    enum CodingKeys: String, CodingKey {
        case requests, errors, unanswered, latency = "latency_histogram", rawLatency = "raw_latency_histogram", statuses
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        requests = try DecodedFigures.count(c, .requests)
        errors = try DecodedFigures.count(c, .errors)
        guard errors <= requests else { throw DecodingError.dataCorruptedError(forKey: .errors, in: c, debugDescription: "more errors than requests") }
        unanswered = try DecodedFigures.check(c.decodeIfPresent(Int.self, forKey: .unanswered) ?? 0, c, .unanswered)
        guard unanswered <= errors else { throw DecodingError.dataCorruptedError(forKey: .unanswered, in: c, debugDescription: "more unanswered requests than errors") }
        latency = try c.decode(LatencyHistogram.self, forKey: .latency)
        rawLatency = try c.decode(LatencyHistogram.self, forKey: .rawLatency)
        statuses = try c.decode([String: Int].self, forKey: .statuses)
        for count in statuses.values { _ = try DecodedFigures.check(count, c, .statuses) }
    }
}

/// How many times a check passed and failed.
public struct CheckTally: Sendable, Equatable, Codable {
    public var passed = 0
    public var failed = 0

    enum CodingKeys: String, CodingKey { case passed, failed }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        passed = try DecodedFigures.count(c, .passed)
        failed = try DecodedFigures.count(c, .failed)
    }

    public init(passed: Int = 0, failed: Int = 0) {
        self.passed = passed
        self.failed = failed
    }

    public mutating func add(_ other: CheckTally) {
        passed += other.passed
        failed += other.failed
    }
}

/// Why a request failed.
public enum ErrorClass: String, Sendable, Codable, CaseIterable, Comparable {
    case connect, timeout, reset
    case status4xx = "4xx"
    case status5xx = "5xx"
    case checkFailed = "check_failed"
    case other

    public static func < (lhs: ErrorClass, rhs: ErrorClass) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The failures of one class: how many, and the first few described.
public struct ErrorTally: Sendable, Equatable, Codable {
    /// How many examples a tally keeps.
    public static let exampleLimit = 5

    public var count = 0
    public var examples: [String] = []

    public init() {}

    public mutating func record(_ example: @autoclosure () -> String) {
        count += 1
        if examples.count < Self.exampleLimit { examples.append(String(example().prefix(500))) }
    }

    public mutating func add(_ other: ErrorTally) {
        count += other.count
        for example in other.examples where examples.count < Self.exampleLimit { examples.append(example) }
    }
}

extension ErrorClass: CodingKeyRepresentable {}
