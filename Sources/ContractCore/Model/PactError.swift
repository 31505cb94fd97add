/// A pact (or test case) that cannot be read: names the file, the JSON path and the reason.
public struct PactError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the pact came from, when known.
    public var file: String?
    /// Where in the document the problem is, e.g. `$.interactions[2].response.matchingRules`.
    public var path: String
    public var reason: String

    public init(file: String? = nil, path: String, reason: String) {
        self.file = file
        self.path = path
        self.reason = reason
    }

    public var description: String {
        let location = file.map { "\($0): " } ?? ""
        return "\(location)\(path): \(reason)"
    }

    /// The same error attributed to `file`.
    public func inFile(_ file: String) -> PactError {
        var copy = self
        copy.file = file
        return copy
    }
}
