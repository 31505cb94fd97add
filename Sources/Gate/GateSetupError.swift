/// Why a gate could not start or a part of it could not run, in words a person can act on.
public struct GateSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
