package import ContractCore
package import Foundation

/// One request of a sequence, as load profiles and flows describe it: what to send, what to
/// remember from the answer (captures), what the answer must be (checks), and how long the
/// user waits afterwards. A class: read on every request, shared, never changed.
package final class Step: Sendable {
    package enum BodyTemplate: Sendable, Equatable {
        case text(Template)
        case json(JSONTemplate)
    }

    /// Groups the step's requests in reports (defaults to `METHOD path`).
    package let name: String
    package let method: String
    /// Relative to the target: always starts with `/`.
    package let path: Template
    package let headers: [(name: String, value: Template)]
    package let body: BodyTemplate?
    package let tags: [String]
    package let captures: [Capture]
    package let checks: [Check]
    /// Seconds the user waits after this step.
    package let think: Double
    /// Seconds the request may take; nil for the run's default.
    package let timeout: Double?

    package init(name: String, method: String, path: Template, headers: [(name: String, value: Template)] = [], body: BodyTemplate? = nil,
                tags: [String] = [], captures: [Capture] = [], checks: [Check] = [], think: Double = 0, timeout: Double? = nil) {
        self.name = name
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.tags = tags
        self.captures = captures
        self.checks = checks
        self.think = think
        self.timeout = timeout
        readsBody = captures.contains { if case .json = $0.source { return true } else { return false } }
            || checks.contains { if case .json = $0.kind { return true } else { return false } }
        readsHeaders = captures.contains { if case .header = $0.source { return true } else { return false } }
            || checks.contains { if case .header = $0.kind { return true } else { return false } }
        matchesPatterns = checks.contains { check in
            switch check.kind {
            case .json(_, .matches), .header(_, .matches): return true
            default: return false
            }
        }
    }

    /// True when a check runs a regular expression: the load engine evaluates such a step off
    /// its event loop (a pattern like `^(a|aa)+$` can take seconds on the wrong text).
    package let matchesPatterns: Bool

    /// True when a check or capture reads the response body.
    package let readsBody: Bool
    /// True when a check or capture reads a response header.
    package let readsHeaders: Bool

    /// Variables the step's templates read.
    package var variables: [String] {
        var names = path.variables + headers.flatMap(\.value.variables)
        switch body {
        case .text(let template): names += template.variables
        case .json(let template): names += template.variables
        case nil: break
        }
        for check in checks {
            switch check.kind {
            case .json(_, .equals(let expected)), .json(_, .below(let expected)), .json(_, .above(let expected)),
                 .header(_, .equals(let expected)): names += expected.variables
            default: break
            }
        }
        return names
    }
}

/// A value remembered from a response for later steps: `${variable}`.
package struct Capture: Sendable {
    package enum Source: Sendable {
        case json(PathExpression)
        case header(String)
        case status
    }

    package var variable: String
    package var source: Source

    package init(variable: String, source: Source) {
        self.variable = variable
        self.source = source
    }
}

/// A condition on a response; a failed check makes the request an error (class `check_failed`).
package struct Check: Sendable {
    package enum Expectation: Sendable {
        case equals(JSONTemplate)
        case matches(NSRegularExpression)
        case exists(Bool)
        /// A number less than the (templated) value.
        case below(JSONTemplate)
        /// A number greater than the (templated) value.
        case above(JSONTemplate)
    }

    package enum Kind: Sendable {
        /// One of these status codes.
        case status([Int])
        case json(PathExpression, Expectation)
        case header(String, Expectation)
        /// At most this many seconds.
        case latency(Double)
    }

    package var kind: Kind
    /// How reports name the check: `status is 200`, `$.status equals "confirmed"`.
    package var description: String

    package init(kind: Kind, description: String) {
        self.kind = kind
        self.description = description
    }
}

/// A named list of steps run one after another by one user; a scenario picks sequences by
/// weight. A sequence from a flow also holds its event expectations (counted as checks).
package struct RequestSequence: Sendable {
    package var name: String
    package var weight: Int
    package let items: [Flow.Item]
    /// Some item is an event expectation (responses then keep their headers, to see where the
    /// gateway routed the run).
    package let expectsEvents: Bool

    package init(name: String, weight: Int = 1, steps: [Step]) {
        self.init(name: name, weight: weight, items: steps.map(Flow.Item.request))
    }

    package init(name: String, weight: Int = 1, items: [Flow.Item]) {
        self.name = name
        self.weight = weight
        self.items = items
        expectsEvents = items.contains { if case .event = $0 { return true } else { return false } }
    }

    /// The request steps.
    package var steps: [Step] { items.compactMap { if case .request(let step) = $0 { return step } else { return nil } } }
}

/// Picks sequences in proportion to their weights.
package struct WeightedMix: Sendable {
    package let sequences: [RequestSequence]
    private let cumulative: [Int]

    package init(_ sequences: [RequestSequence]) {
        self.sequences = sequences
        var running = 0
        cumulative = sequences.map { running += max(0, $0.weight); return running }
    }

    package func pick(using random: inout some RandomNumberGenerator) -> Int {
        guard let total = cumulative.last, total > 0, sequences.count > 1 else { return 0 }
        let ticket = Int.random(in: 0..<total, using: &random)
        return cumulative.firstIndex { ticket < $0 } ?? 0
    }
}
