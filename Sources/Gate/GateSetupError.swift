/// Why a gate could not start or a part of it could not run, in words a person can act on.
package struct GateSetupError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// The rollout is held by another gate (its lease, or the gate file's lock): this gate waits its
/// turn — a pause, with nothing moved — and says who holds it.
package struct RolloutHeld: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
