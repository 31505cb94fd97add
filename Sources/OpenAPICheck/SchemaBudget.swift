/// How much schema evaluation one interaction's check may cost. A document whose `anyOf` or
/// `allOf` branches lead to the same schemas again doubles the work at every level: 40 such
/// levels in 4 KB would take hours. Past the budget the check stops and says so; it also stops
/// when `stopped` says the run was interrupted (Ctrl-C, SIGTERM), looked at every few thousand steps.
final class SchemaBudget {
    /// Schema nodes one interaction may evaluate: more than real documents need (a thousand-item
    /// array against a schema of a hundred properties is 10^5), about a second in a release build.
    static let defaultSteps = 500_000

    private var remaining: Int
    private let stopped: () -> Bool
    private(set) var interrupted = false

    init(steps: Int = defaultSteps, stopped: @escaping () -> Bool) {
        remaining = steps
        self.stopped = stopped
    }

    /// One schema node evaluated: false once the budget is spent or the run interrupted.
    func spend() -> Bool {
        guard remaining > 0 else { return false }
        remaining -= 1
        if remaining & 0xFFF == 0, stopped() {
            interrupted = true
            remaining = 0
        }
        return remaining > 0
    }

    /// Whether the check stopped before it was done.
    var exhausted: Bool { remaining <= 0 }
}

/// A check that stopped before it was done: the document is too costly to evaluate, or the run was interrupted.
package struct SchemaCheckStopped: Error, Sendable, CustomStringConvertible {
    package let document: String
    package let interaction: String
    package let interrupted: Bool

    package var description: String {
        interrupted
            ? "interrupted while checking \(interaction) against \(document)"
            : "\(document): checking \(interaction) took more than \(SchemaBudget.defaultSteps) schema evaluations — too costly "
                + "(do anyOf/allOf/oneOf branches lead to the same schemas level after level?); not checked"
    }
}
