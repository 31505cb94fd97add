import Foundation
import HTTPWire
package import Steps

/// Runs flows end to end, each `iterations` times, one after another, as `tollgate flow`, the
/// demo and the gate do: events come from one consumer for every topic the flows name, started
/// before the first step. Over HTTPS, `tls` (the command line's) goes on top of each flow's `tls:`.
package enum FlowSuite {
    /// - Parameter each: called with each run as it ends.
    /// - Returns: every run, in order; fewer when the calling task is cancelled (between runs).
    /// - Parameter split: under a canary split, how each response names the path that answered it (recorded per step).
    package static func run(_ flows: [Flow], target: TargetURL, kafkaBrokers: String?, iterations: Int = 1, timeout: Double = 10, userAgent: String,
                           split: PathSplit? = nil, tls: TLSSettings = TLSSettings(), each: (FlowResult) -> Void = { _ in }) async throws -> [FlowResult] {
        let topics = Array(Set(flows.flatMap(\.topics))).sorted()
        return try await KafkaEventSource.reading(brokers: kafkaBrokers, topics: topics) { events in
            let runner = FlowRunner(target: target, events: events, userAgent: userAgent, timeout: timeout, split: split, tls: tls)
            var results: [FlowResult] = []
            for flow in flows {
                let context: Result<TLSClientContext?, TLSSetupError> = Result { () throws(TLSSetupError) in try runner.tlsContext(for: flow) }
                for iteration in 1...iterations {
                    // A caller that stopped waiting (Ctrl-C in a gate) ends the runs between iterations.
                    if Task.isCancelled { break }
                    let result: FlowResult
                    switch context {
                    case .success(let context): result = await runner.run(flow, iteration: iteration, tls: context)
                    case .failure(let error): result = FlowRunner.notStarted(flow, iteration: iteration, reason: error.description)
                    }
                    each(result)
                    results.append(result)
                }
            }
            await runner.shutdown()
            return results
        }
    }
}
