import Foundation
import Steps

/// When an open-model executor starts each iteration: iteration k starts when the integral of
/// the rate reaches k. Pure: the runner asks for times, and tests check them with no clock.
package struct ArrivalSchedule: Sendable {
    private struct Segment {
        let start: Double
        let duration: Double
        let fromRate: Double
        let toRate: Double
        /// Iterations started before the segment.
        let before: Double
    }

    private let segments: [Segment]
    private var position = 0
    private var next = 0

    package init(_ executor: Executor) {
        var legs: [(duration: Double, from: Double, to: Double)] = []
        switch executor {
        case .constantArrivalRate(let rate, let duration, _, _): legs = [(duration, rate, rate)]
        case .rampingArrivalRate(let start, let stages, _, _):
            var from = start
            for stage in stages {
                legs.append((stage.duration, from, stage.target))
                from = stage.target
            }
        default: break
        }
        var built: [Segment] = []
        var start = 0.0, before = 0.0
        for leg in legs {
            built.append(Segment(start: start, duration: leg.duration, fromRate: leg.from, toRate: leg.to, before: before))
            start += leg.duration
            before += (leg.from + leg.to) / 2 * leg.duration
        }
        segments = built
    }

    /// The start of the next iteration in seconds from the executor's start, or nil when the
    /// schedule is over.
    package mutating func nextStart() -> Double? {
        let target = Double(next)
        while position < segments.count {
            let segment = segments[position]
            let within = target - segment.before
            let slope = segment.duration > 0 ? (segment.toRate - segment.fromRate) / segment.duration : 0
            let offset: Double?
            if abs(slope) < 1e-12 {
                offset = segment.fromRate > 0 ? within / segment.fromRate : nil
            } else {
                // fromRate·t + slope·t²/2 = within
                let discriminant = segment.fromRate * segment.fromRate + 2 * slope * within
                offset = discriminant >= 0 ? (-segment.fromRate + discriminant.squareRoot()) / slope : nil
            }
            if let offset, offset > -1e-9, offset < segment.duration {
                next += 1
                return segment.start + max(0, offset)
            }
            position += 1
        }
        return nil
    }
}
