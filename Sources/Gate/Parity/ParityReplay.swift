import ContractCore
import Foundation
package import ResponseParity
import Synchronization
import Transport
import TransportHTTP

/// How responses are compared and how far the replay may go.
package struct ParityOptions: Sendable {
    /// The largest share of an endpoint's requests that may differ, in percent.
    package var threshold = 1.0
    package var comparison = JSONComparison()
    /// Response headers compared besides the status and the body (others differ by nature: dates, ids).
    package var headers: [String] = []
    /// Each request's timeout on each side, seconds.
    package var timeout = 10.0
    /// The longest body read; a longer one is a failed request, never a stalled replay.
    package var maximumBodyBytes = 8 << 20
    /// Requests in flight at once (each is three: primary, secondary, candidate).
    package var concurrency = 8

    package init() {}
}

/// Replays safe requests against a baseline (twice: primary and secondary) and a candidate
/// (once), and compares what came back, as Diffy did: no extra service, no cluster.
package enum ParityReplay {
    /// Compares every request of `requests` (in order, `concurrency` at a time); `progress` is
    /// told how many are done.
    package static func run(_ requests: [ParityRequest], baseline: String, candidate: String, options: ParityOptions,
                            progress: @escaping @Sendable (Int) -> Void = { _ in }) async -> ParityReport {
        let client = HTTPClientPool()
        let collected = Collected()
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                let request = requests[next]
                next += 1
                group.addTask {
                    let pattern = EndpointPattern.of(method: request.method, path: request.path)
                    async let primary = send(request, to: baseline, client: client, options: options)
                    async let secondary = send(request, to: baseline, client: client, options: options)
                    async let answer = send(request, to: candidate, client: client, options: options)
                    let sides = await [primary, secondary, answer]
                    let responses = sides.compactMap { try? $0.get() }
                    if responses.count == 3 {
                        let noise = differences(responses[0], responses[1], options: options)
                        let candidateDifferences = differences(responses[0], responses[2], options: options)
                        collected.ledger.withLock { $0.record(endpoint: pattern, noise: noise, candidate: candidateDifferences) }
                    } else {
                        collected.ledger.withLock { $0.failed(endpoint: pattern) }
                        for case .failure(let error) in sides {
                            collected.failures.withLock { if $0.count < 5 { $0.append(Redaction.text("\(error)", secrets: request.headers.map(\.value))) } }
                        }
                    }
                    progress(collected.done.add(1, ordering: .relaxed).newValue)
                }
            }
            for _ in 0..<min(max(1, options.concurrency), requests.count) { add() }
            while await group.next() != nil {
                if next < requests.count { add() }
            }
        }
        var report = collected.ledger.withLock { $0.report(threshold: options.threshold) }
        report.baseline = Redaction.url(baseline)
        report.candidate = Redaction.url(candidate)
        report.failures = collected.failures.withLock { $0 }
        return report
    }

    /// What the concurrent comparisons add to.
    private final class Collected: Sendable {
        let ledger = Mutex(ParityLedger())
        let failures = Mutex<[String]>([])
        let done = Atomic(0)
    }

    private static func send(_ request: ParityRequest, to base: String, client: HTTPClientPool, options: ParityOptions) async -> Result<HTTPClientResponse, any Error> {
        let url = (base.hasSuffix("/") ? String(base.dropLast()) : base) + request.path
        do {
            return .success(try await client.send(HTTPClientRequest(method: request.method, url: url, headers: request.headers, timeout: options.timeout,
                                                                     maxResponseBytes: options.maximumBodyBytes)))
        } catch {
            return .failure(error)
        }
    }

    /// Where two answers to one request differ: the status, the headers named, and the body
    /// (field by field when both are JSON, else as a whole).
    static func differences(_ a: HTTPClientResponse, _ b: HTTPClientResponse, options: ParityOptions) -> [JSONDifference] {
        var found: [JSONDifference] = []
        if a.status != b.status { found.append(JSONDifference(path: "status", baseline: .integer(Int64(a.status)), candidate: .integer(Int64(b.status)))) }
        for name in options.headers where a.header(name) != b.header(name) {
            found.append(JSONDifference(path: "header \(name.lowercased())", baseline: a.header(name).map(JSONValue.string), candidate: b.header(name).map(JSONValue.string)))
        }
        if let left = try? JSONParser.parse(a.body), let right = try? JSONParser.parse(b.body) {
            found += options.comparison.differences(left, right)
        } else if a.body != b.body {
            found.append(JSONDifference(path: "body", baseline: .string(String(a.bodyText.prefix(200))), candidate: .string(String(b.bodyText.prefix(200)))))
        }
        return found
    }
}
