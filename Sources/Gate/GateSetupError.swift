/// Why a gate could not start or a part of it could not run, in words a person can act on.
package struct GateSetupError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
