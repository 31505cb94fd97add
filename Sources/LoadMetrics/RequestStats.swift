/// What happened to the requests of one group (all requests, one request name, or one tag).
package struct RequestStats: Sendable, Equatable, Codable {
    package var requests = 0
    /// Requests that failed: no response, a failed check, or a status ≥ 400 no check expected.
    package var errors = 0
    /// Failed requests that got no response at all (refused, timed out, reset, unfinished): what
    /// they did on the server is unknown. Part of `errors`.
    package var unanswered = 0
    /// Latency from each request's intended start (scheduler and queueing included).
    package var latency = LatencyHistogram()
    /// Latency from the moment each request was sent.
    package var rawLatency = LatencyHistogram()
    /// Responses by status code ("200", "404", …).
    package var statuses: [String: Int] = [:]
    /// TLS handshakes of the connections opened for these requests (k6's
    /// `http_req_tls_handshaking`): connection set-up apart from request latency. Empty over plain HTTP.
    package var tlsHandshake = LatencyHistogram()

    package init() {}

    package mutating func add(_ other: RequestStats) {
        requests += other.requests
        errors += other.errors
        unanswered += other.unanswered
        latency.add(other.latency)
        rawLatency.add(other.rawLatency)
        statuses.merge(other.statuses, uniquingKeysWith: +)
        tlsHandshake.add(other.tlsHandshake)
    }

    /// Errors per request, 0–1.
    package var errorRate: Double { requests == 0 ? 0 : Double(errors) / Double(requests) }

    /// Requests that got a response (whose outcome is known).
    package var answered: Int { requests - unanswered }

    /// Failed requests among those answered, 0–1: what the server said went wrong, without the
    /// requests whose outcome nobody knows.
    package var answeredErrorRate: Double { answered == 0 ? 0 : Double(errors - unanswered) / Double(answered) }

    enum CodingKeys: String, CodingKey {
        case requests, errors, unanswered, latency = "latency_histogram", rawLatency = "raw_latency_histogram", statuses
        case tlsHandshake = "tls_handshake_histogram"
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(requests, forKey: .requests)
        try c.encode(errors, forKey: .errors)
        try c.encode(unanswered, forKey: .unanswered)
        try c.encode(latency, forKey: .latency)
        try c.encode(rawLatency, forKey: .rawLatency)
        try c.encode(statuses, forKey: .statuses)
        // Only when there were handshakes: plain-HTTP results stay as they were.
        if tlsHandshake.count > 0 { try c.encode(tlsHandshake, forKey: .tlsHandshake) }
    }

    package init(from decoder: any Decoder) throws {
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
        tlsHandshake = try c.decodeIfPresent(LatencyHistogram.self, forKey: .tlsHandshake) ?? LatencyHistogram()
    }
}

/// How many times a check passed and failed.
package struct CheckTally: Sendable, Equatable, Codable {
    package var passed = 0
    package var failed = 0

    enum CodingKeys: String, CodingKey { case passed, failed }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        passed = try DecodedFigures.count(c, .passed)
        failed = try DecodedFigures.count(c, .failed)
    }

    package init(passed: Int = 0, failed: Int = 0) {
        self.passed = passed
        self.failed = failed
    }

    package mutating func add(_ other: CheckTally) {
        passed += other.passed
        failed += other.failed
    }
}

/// Why a request failed.
package enum ErrorClass: String, Sendable, Codable, CaseIterable, Comparable {
    case connect, tls, timeout, reset
    case status4xx = "4xx"
    case status5xx = "5xx"
    case checkFailed = "check_failed"
    case other

    package static func < (lhs: ErrorClass, rhs: ErrorClass) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The failures of one class: how many, and the first few described.
package struct ErrorTally: Sendable, Equatable, Codable {
    /// How many examples a tally keeps.
    package static let exampleLimit = 5

    package var count = 0
    package var examples: [String] = []

    package init() {}

    package mutating func record(_ example: @autoclosure () -> String) {
        count += 1
        if examples.count < Self.exampleLimit { examples.append(String(example().prefix(500))) }
    }

    package mutating func add(_ other: ErrorTally) {
        count += other.count
        for example in other.examples where examples.count < Self.exampleLimit { examples.append(example) }
    }
}

extension ErrorClass: CodingKeyRepresentable {}
