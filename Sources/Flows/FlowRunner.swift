import ContractCore
import Foundation
package import HTTPWire
import LoadMetrics
import NIOCore
import NIOPosix
package import Steps

/// What happened at one step of a flow.
package struct FlowStepResult: Sendable, Codable {
    package enum Status: String, Sendable, Codable { case passed, failed, skipped }
    package struct CheckRecord: Sendable, Codable {
        package let description: String
        package let passed: Bool
        package let detail: String?
    }

    package var name: String
    /// "request" or "event".
    package var kind: String
    package var status: Status
    package var seconds: Double
    /// `POST /api/v1/orders` and the body sent (credentials never shown).
    package var request: String?
    /// The status and body received, or the event found.
    package var response: String?
    package var failure: String?
    package var checks: [CheckRecord]
    /// Why a step was skipped, when not because an earlier one failed.
    package var note: String? = nil
    /// Under a canary split: the path that answered the request (`baseline` or `canary`).
    package var path: String? = nil
}

/// One run of a flow.
package struct FlowResult: Sendable, Codable {
    package var flow: String
    package var source: String
    package var iteration: Int
    package var passed: Bool
    package var seconds: Double
    package var steps: [FlowStepResult]
}

/// Runs flows step by step over one keep-alive connection of the load engine's HTTP layer,
/// waiting for events from an `EventSource`. A failed step ends the run; the rest are skipped.
package final class FlowRunner: Sendable {
    let target: TargetURL
    let events: (any EventSource)?
    let userAgent: String
    let timeout: Double
    /// Under a canary split: how a response names the path that answered it.
    let split: PathSplit?
    /// TLS settings from the command line, on top of each flow's own `tls:`.
    let tls: TLSSettings
    private let loop = WireLoop(name: "tollgate.flow")

    package init(target: TargetURL, events: (any EventSource)?, userAgent: String = "tollgate", timeout: Double = 10, split: PathSplit? = nil,
                 tls: TLSSettings = TLSSettings()) {
        self.split = split
        self.tls = tls
        self.target = target
        self.events = events
        self.userAgent = userAgent
        self.timeout = timeout
    }

    /// Stops the runner's event loop.
    package func shutdown() async { try? await loop.shutdownGracefully() }

    /// How much of a body or request a result quotes.
    static let quoteLimit = 2000

    /// The TLS context `flow` connects with to `target` (nil over plain HTTP); throws when its
    /// files cannot be used.
    package func tlsContext(for flow: Flow) throws(TLSSetupError) -> TLSClientContext? {
        target.usesTLS ? try TLSClientContext(settings: flow.tls.overridden(by: tls)) : nil
    }

    /// A run of `flow` that could not start: its first step failed with `reason`, the rest skipped.
    package static func notStarted(_ flow: Flow, iteration: Int, reason: String) -> FlowResult {
        let steps = flow.items.enumerated().map { index, item in
            FlowStepResult(name: item.name, kind: kind(item), status: index == 0 ? .failed : .skipped, seconds: 0, request: nil, response: nil,
                           failure: index == 0 ? reason : nil, checks: [])
        }
        return FlowResult(flow: flow.name, source: flow.source, iteration: iteration, passed: false, seconds: 0, steps: steps)
    }

    /// Runs `flow` once; over HTTPS through `tls` (`tlsContext(for:)`, shared by a flow's iterations so they resume sessions).
    package func run(_ flow: Flow, iteration: Int = 1, tls context: TLSClientContext? = nil) async -> FlowResult {
        let connection = FlowConnection(loop: loop, connector: Connector(target: target, connectTimeout: .seconds(Int64(min(timeout, 10))), tls: context))
        var scope = RenderScope(sequence: RunSequence())
        scope.iteration = iteration
        scope.vu = 1
        var results: [FlowStepResult] = []
        var failed = false
        var servedByLegacy = false
        let started = Date()
        for item in flow.items {
            guard !failed else {
                results.append(FlowStepResult(name: item.name, kind: Self.kind(item), status: .skipped, seconds: 0, request: nil, response: nil,
                                              failure: nil, checks: []))
                continue
            }
            let result: FlowStepResult
            switch item {
            case .request(let step):
                let (outcome, legacy) = await request(step, connection: connection, scope: &scope)
                result = outcome
                servedByLegacy = servedByLegacy || legacy
            case .event(let expectation) where servedByLegacy:
                result = FlowStepResult(name: expectation.name, kind: "event", status: .skipped, seconds: 0, request: nil, response: nil, failure: nil, checks: [],
                                        note: "not expected: the gateway routed this run to the legacy monolith (X-Routed-To: legacy), which publishes no events")
            case .event(let expectation): result = await event(expectation, scope: &scope)
            }
            if result.status == .failed { failed = true }
            results.append(result)
        }
        await connection.close()
        return FlowResult(flow: flow.name, source: flow.source, iteration: iteration, passed: !failed, seconds: Date().timeIntervalSince(started), steps: results)
    }

    static func kind(_ item: Flow.Item) -> String {
        if case .request = item { return "request" }
        return "event"
    }

    /// The step's result, and whether the legacy monolith answered it.
    private func request(_ step: Step, connection: FlowConnection, scope: inout RenderScope) async -> (FlowStepResult, Bool) {
        let started = Date()
        let bytes: ByteBuffer
        do { bytes = try RequestBytes.render(step, target: target, userAgent: userAgent, scope: &scope) } catch {
            return (FlowStepResult(name: step.name, kind: "request", status: .failed, seconds: 0, request: nil, response: nil, failure: error.message, checks: []), false)
        }
        let sent = Self.describe(request: bytes)
        let outcome = await connection.send(bytes, methodIsHead: step.method == "HEAD", timeout: step.timeout ?? timeout)
        let seconds = Date().timeIntervalSince(started)
        switch outcome {
        case .failure(let failure):
            return (FlowStepResult(name: step.name, kind: "request", status: .failed, seconds: seconds, request: sent, response: nil,
                                   failure: "no response: \(failure.message)", checks: []), false)
        case .success(let collected):
            let response = StepResponse(status: collected.status, headers: collected.headers, body: collected.body, latency: seconds)
            let evaluated = step.evaluate(response, scope: &scope)
            let checks = evaluated.checks.map { FlowStepResult.CheckRecord(description: $0.description, passed: $0.passed, detail: $0.detail) }
            let received = "\(collected.status)\n" + Self.quote(collected.body)
            var result = FlowStepResult(name: step.name, kind: "request", status: evaluated.error == nil ? .passed : .failed, seconds: seconds,
                                        request: sent, response: received, failure: evaluated.error == nil ? nil : evaluated.errorDetail, checks: checks)
            result.path = split?.path(collected.headers)?.rawValue
            return (result, LegacyRouting.servedByLegacy(collected.headers))
        }
    }

    private func event(_ expectation: EventExpectation, scope: inout RenderScope) async -> FlowStepResult {
        let started = Date()
        let expected = expectation.expectedValues(&scope)
        let wanted = expected.map { "\($0.path.text) = \(JSONWriter.compact($0.value))" }.joined(separator: ", ")
        guard let events else {
            return FlowStepResult(name: expectation.name, kind: "event", status: .failed, seconds: 0, request: nil, response: nil,
                                  failure: "no Kafka brokers to read \(expectation.topic) from (--kafka-brokers)", checks: [])
        }
        let (found, seen) = await events.first(topic: expectation.topic, matching: expected, within: expectation.within)
        let seconds = Date().timeIntervalSince(started)
        guard let found else {
            return FlowStepResult(name: expectation.name, kind: "event", status: .failed, seconds: seconds, request: nil, response: nil,
                                  failure: "no event on \(expectation.topic) with \(wanted) within \(DurationText.describe(expectation.within)) (\(seen) event(s) seen on the topic)"
                                      + (events.trouble.map { "; reading events failed: \($0)" } ?? ""),
                                  checks: [])
        }
        for capture in expectation.captures {
            if case .json(let path) = capture.source, let value = JSONQuery.first(path, in: found) { scope.variables[capture.variable] = value }
        }
        return FlowStepResult(name: expectation.name, kind: "event", status: .passed, seconds: seconds, request: nil,
                              response: String(JSONWriter.compact(found).prefix(Self.quoteLimit)), failure: nil,
                              checks: [FlowStepResult.CheckRecord(description: "\(expectation.topic) with \(wanted)", passed: true, detail: nil)])
    }

    /// The request line and body, without headers (they may carry credentials).
    static func describe(request bytes: ByteBuffer) -> String {
        let text = String(buffer: bytes)
        let line = text.prefix { $0 != "\r" && $0 != "\n" }
        let body = text.range(of: "\r\n\r\n").map { text[$0.upperBound...] } ?? ""
        let verb = line.split(separator: " ").prefix(2).joined(separator: " ")
        return body.isEmpty ? verb : verb + "\n" + String(body.prefix(quoteLimit))
    }

    static func quote(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(quoteLimit), as: UTF8.self)
        return body.count > quoteLimit ? text + "… (\(body.count) bytes)" : text
    }
}
